package io.liandan.tracker.web;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.javalin.http.Context;
import io.liandan.tracker.Limits;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collection;
import org.jooq.JSONB;

/**
 * The one JSON setup of the API, and request-body reading with the size limit and 400s that name
 * the bad field.
 *
 * <p>NaN and ±Infinity: JSON has no such numbers. Responses write them as the strings {@code
 * "NaN"}, {@code "Infinity"}, {@code "-Infinity"}; requests may send those strings or the bare
 * tokens Python's {@code json.dumps} writes ({@code NaN}, {@code Infinity}, {@code -Infinity}).
 */
public final class Json {
  public static final ObjectMapper MAPPER = mapper(false);

  /**
   * MLflow's routes: proto3's JSON mapping lets a client send an int64 as a decimal string ({@code
   * "step": "7"}), so there a string of digits is an integer; everything else is as strict as
   * {@link #MAPPER}.
   */
  static final ObjectMapper PROTO_MAPPER = mapper(true);

  /**
   * No silent coercion: 1.9 is not an integer step (Jackson would truncate it), "7" is not a number
   * and 123 is not a string.
   */
  private static ObjectMapper mapper(boolean numbersFromStrings) {
    JsonMapper m =
        JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .configure(MapperFeature.ALLOW_COERCION_OF_SCALARS, numbersFromStrings)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();
    m.coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    m.coercionConfigFor(LogicalType.Boolean)
        .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
    if (!numbersFromStrings) {
      m.coercionConfigFor(LogicalType.Integer)
          .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
          .setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
      m.coercionConfigFor(LogicalType.Float)
          .setCoercion(CoercionInputShape.String, CoercionAction.Fail);
    } else {
      m.coercionConfigFor(LogicalType.Integer)
          .setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
    }
    return m;
  }

  private Json() {}

  /**
   * Reads the request body as {@code type} through a {@link StrictParser}: 413 past the size limit,
   * 400 naming the field (its JSON path) and the problem, never a Java type.
   */
  public static <T> T read(Context ctx, Class<T> type) {
    byte[] body = body(ctx);
    if (body.length == 0) {
      throw ApiErrors.badRequest(null, "request body is empty; expected a JSON object");
    }
    ObjectMapper mapper = ctx.path().contains("/2.0/mlflow/") ? PROTO_MAPPER : MAPPER;
    StrictParser parser = null;
    try {
      parser = new StrictParser(mapper.createParser(body));
      T value = mapper.readValue(parser, type);
      if (value == null) {
        throw ApiErrors.badRequest(null, "request body is null; expected a JSON object");
      }
      return value;
    } catch (JsonProcessingException e) {
      if (parser != null && parser.problem() != null) {
        throw ApiErrors.badRequest(parser.problem().field(), parser.problem().message());
      }
      throw badRequest(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static RuntimeException badRequest(JsonProcessingException e) {
    if (e instanceof UnrecognizedPropertyException u) {
      String field = path(u);
      return ApiErrors.badRequest(field, "unknown field '" + field + "'");
    }
    if (e instanceof StreamConstraintsException) {
      return ApiErrors.badRequest(
          null, "request body has a number or string longer than the parser accepts" + at(e));
    }
    if (e instanceof JsonParseException) {
      return ApiErrors.badRequest(null, "malformed JSON: " + e.getOriginalMessage() + at(e));
    }
    String field = e instanceof JsonMappingException m ? path(m) : "";
    String name = field.isEmpty() ? "request body" : field;
    if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
      return ApiErrors.badRequest(
          field.isEmpty() ? null : field, name + " must be " + expected(m.getTargetType()) + at(e));
    }
    // Jackson's own text names Java types; say only where
    return ApiErrors.badRequest(
        field.isEmpty() ? null : field, "invalid value for " + name + at(e));
  }

  /** What a JSON value for {@code type} looks like, in JSON's words. */
  static String expected(Class<?> type) {
    if (type == String.class || type.isEnum()) {
      return "a string";
    }
    if (type == Long.class
        || type == long.class
        || type == Integer.class
        || type == int.class
        || type == Short.class
        || type == short.class) {
      return "an integer";
    }
    if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) {
      return "a number";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (Collection.class.isAssignableFrom(type) || type.isArray()) {
      return "an array";
    }
    if (JsonNode.class.isAssignableFrom(type)) {
      return "a JSON value";
    }
    return "a JSON object";
  }

  private static byte[] body(Context ctx) {
    long declared = ctx.req().getContentLengthLong();
    try (InputStream in = ctx.bodyInputStream()) {
      if (declared > Limits.MAX_REQUEST_BYTES) {
        if (declared - Limits.MAX_REQUEST_BYTES <= Limits.MAX_DRAINED_BYTES) {
          drain(in, declared);
        }
        throw tooLarge(declared);
      }
      byte[] bytes = in.readNBytes((int) Limits.MAX_REQUEST_BYTES + 1);
      if (bytes.length > Limits.MAX_REQUEST_BYTES) {
        drain(in, Limits.MAX_DRAINED_BYTES);
        throw tooLarge(-1);
      }
      return bytes;
    } catch (IOException e) {
      throw ApiErrors.badRequest(null, "could not read the request body: " + e.getMessage());
    }
  }

  /**
   * Reads and drops up to {@code max} bytes of a body that gets 413, so that the client, still
   * sending it, reads the answer: Jetty closes a connection whose request bytes were left unread,
   * and a socket closed with unread bytes is reset, which the client may see before the response
   * (and retry the batch as if the tracker were down). A client that stops sending gets its 413 all
   * the same.
   */
  private static void drain(InputStream in, long max) {
    try {
      in.skipNBytes(max);
    } catch (IOException e) {
      // the body ended sooner (EOFException), or the client went away: nothing left to drain
    }
  }

  private static RuntimeException tooLarge(long declared) {
    return ApiErrors.tooLarge(
        null,
        "request body "
            + (declared > 0 ? "of " + declared + " bytes " : "")
            + "is over the limit of "
            + Limits.MAX_REQUEST_BYTES
            + " bytes; send smaller batches");
  }

  /** "points[3].value" from Jackson's reference path. */
  static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (!sb.isEmpty()) {
          sb.append('.');
        }
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static String at(JsonProcessingException e) {
    return e.getLocation() == null
        ? ""
        : " (line "
            + e.getLocation().getLineNr()
            + ", column "
            + e.getLocation().getColumnNr()
            + ")";
  }

  /** A response body, serialized now (see MetricController's read gate). */
  public static byte[] bytes(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** jsonb column → tree, never null. */
  public static JsonNode tree(JSONB value) {
    if (value == null) {
      return MAPPER.createObjectNode();
    }
    try {
      return MAPPER.readTree(value.data());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("the database returned invalid jsonb", e);
    }
  }

  /** tree → jsonb bind value. */
  public static JSONB jsonb(JsonNode value) {
    try {
      return JSONB.valueOf(MAPPER.writeValueAsString(value));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
