package io.liandan.tracker.web;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import io.liandan.tracker.Limits;
import java.io.IOException;
import java.math.BigInteger;

/**
 * A parser that refuses, token by token, what Jackson would otherwise turn silently into something
 * else: a number too large for a 64-bit float (1e309 would become Infinity), a string or key with
 * an unpaired UTF-16 surrogate (PostgreSQL would store it as '?'), and JSON nested deeper than
 * {@link Limits#MAX_JSON_DEPTH}. The bare tokens NaN and ±Infinity stay allowed (see {@link Json}).
 *
 * <p>Jackson wraps exceptions thrown below a deserializer in its own, so the problem is also kept
 * here ({@link #problem()}), with the JSON path of the value, for {@link Json#read} to report.
 */
final class StrictParser extends JsonParserDelegate {
  /** The rejected value's JSON path ("points[3].value") and what is wrong with it. */
  record Problem(String field, String message) {}

  private Problem problem;

  StrictParser(JsonParser d) {
    super(d);
  }

  Problem problem() {
    return problem;
  }

  @Override
  public JsonToken nextToken() throws IOException {
    JsonToken t = delegate.nextToken();
    if (t != null) {
      check(t);
    }
    return t;
  }

  @Override
  public JsonToken nextValue() throws IOException {
    JsonToken t = nextToken();
    return t == JsonToken.FIELD_NAME ? nextToken() : t;
  }

  private void check(JsonToken t) throws IOException {
    switch (t) {
      case START_OBJECT, START_ARRAY -> {
        JsonStreamContext ctx = delegate.getParsingContext();
        if (ctx.getNestingDepth() > Limits.MAX_JSON_DEPTH) {
          fail(ctx.getParent(), "is nested deeper than " + Limits.MAX_JSON_DEPTH + " levels");
        }
      }
      case FIELD_NAME -> {
        if (hasLoneSurrogate(delegate.currentName())) {
          // name the object holding the key: the key itself cannot be shown
          fail(
              delegate.getParsingContext().getParent(),
              "has a key with an unpaired UTF-16 surrogate (not valid Unicode)");
        }
      }
      case VALUE_STRING -> {
        if (hasLoneSurrogate(delegate.getText())) {
          fail("contains an unpaired UTF-16 surrogate (not valid Unicode)");
        }
      }
      case VALUE_NUMBER_FLOAT -> {
        // NaN and Infinity tokens are allowed on purpose; a literal that overflows is not
        if (Double.isInfinite(delegate.getDoubleValue()) && !isNonNumericToken()) {
          fail(delegate.getText() + " is outside the range of a 64-bit float");
        }
      }
      case VALUE_NUMBER_INT -> {
        if (delegate.getNumberType() == NumberType.BIG_INTEGER) {
          BigInteger v = delegate.getBigIntegerValue();
          if (Double.isInfinite(v.doubleValue())) {
            fail("has " + v.toString().length() + " digits: outside the range of a 64-bit float");
          }
        }
      }
      default -> {}
    }
  }

  private boolean isNonNumericToken() throws IOException {
    String text = delegate.getText();
    return text.endsWith("Infinity") || text.equals("NaN");
  }

  private void fail(String what) throws JsonParseException {
    fail(delegate.getParsingContext(), what);
  }

  private void fail(JsonStreamContext at, String what) throws JsonParseException {
    String field = path(at);
    String name = field.isEmpty() ? "request body" : field;
    problem = new Problem(field.isEmpty() ? null : field, name + " " + what);
    throw new JsonParseException(this, problem.message());
  }

  /** "points[3].value" from the parser's context. */
  static String path(JsonStreamContext ctx) {
    StringBuilder sb = new StringBuilder();
    for (JsonStreamContext c = ctx; c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inArray()) {
        sb.insert(0, "[" + Math.max(0, c.getCurrentIndex()) + "]");
      } else if (c.inObject() && c.getCurrentName() != null) {
        sb.insert(
            0, (c.getParent() != null && !c.getParent().inRoot() ? "." : "") + c.getCurrentName());
      }
    }
    return sb.toString();
  }

  static boolean hasLoneSurrogate(String s) {
    if (s == null) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return true;
        }
      } else if (Character.isLowSurrogate(c)) {
        return true;
      }
    }
    return false;
  }
}
