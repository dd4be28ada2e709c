package io.liandan.llm.data.template;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii, indent, sort_keys)} byte for byte, as transformers'
 * {@code tojson} filter calls it: ", " and ": " separators (",\n" + indent with an indent), only
 * control characters, quote and backslash escaped (lowercase {@code \}u hex), floats in Python's
 * repr. Not Jackson: Jackson writes "," and ":" and different float digits.
 */
final class PyJson {
  private PyJson() {}

  static String dumps(Object value, boolean ensureAscii, String indent, boolean sortKeys) {
    StringBuilder sb = new StringBuilder();
    new Writer(sb, ensureAscii, indent, sortKeys).write(value, 0);
    return sb.toString();
  }

  static String dumps(Object value) {
    return dumps(value, false, null, false);
  }

  private record Writer(StringBuilder sb, boolean ensureAscii, String indent, boolean sortKeys) {
    void write(Object v, int level) {
      v = Py.unwrap(v);
      if (v == null) {
        sb.append("null");
      } else if (v instanceof Boolean b) {
        sb.append(b ? "true" : "false");
      } else if (v instanceof CharSequence s) {
        string(s.toString());
      } else if (v instanceof Character c) {
        string(c.toString());
      } else if (v instanceof Integer
          || v instanceof Long
          || v instanceof Short
          || v instanceof Byte
          || v instanceof BigInteger) {
        sb.append(v);
      } else if (v instanceof Number n) {
        sb.append(floatRepr(n));
      } else if (v instanceof Map<?, ?> m) {
        map(m, level);
      } else if (v instanceof Iterable<?> || v.getClass().isArray()) {
        list(Py.iterable(v), level);
      } else {
        throw new IllegalArgumentException(
            "Object of type " + v.getClass().getSimpleName() + " is not JSON serializable");
      }
    }

    private void map(Map<?, ?> m, int level) {
      if (m.isEmpty()) {
        sb.append("{}");
        return;
      }
      List<Map.Entry<String, Object>> entries = new ArrayList<>();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        entries.add(Map.entry(key(e.getKey()), e.getValue() == null ? NULL : e.getValue()));
      }
      if (sortKeys) {
        entries.sort(Map.Entry.comparingByKey());
      }
      sb.append('{');
      boolean first = true;
      for (Map.Entry<String, Object> e : entries) {
        separator(first, level + 1);
        string(e.getKey());
        sb.append(": ");
        write(e.getValue() == NULL ? null : e.getValue(), level + 1);
        first = false;
      }
      close(level);
      sb.append('}');
    }

    private void list(Iterable<?> items, int level) {
      if (!items.iterator().hasNext()) {
        sb.append("[]");
        return;
      }
      sb.append('[');
      boolean first = true;
      for (Object item : items) {
        separator(first, level + 1);
        write(item, level + 1);
        first = false;
      }
      close(level);
      sb.append(']');
    }

    private void separator(boolean first, int level) {
      if (indent == null) {
        if (!first) {
          sb.append(", ");
        }
      } else {
        sb.append(first ? "\n" : ",\n").append(indent.repeat(level));
      }
    }

    private void close(int level) {
      if (indent != null) {
        sb.append('\n').append(indent.repeat(level));
      }
    }

    /** Python converts bool, None and number keys to strings; other keys are an error. */
    private static String key(Object k) {
      k = Py.unwrap(k);
      if (k instanceof CharSequence s) {
        return s.toString();
      } else if (k == null) {
        return "null";
      } else if (k instanceof Boolean b) {
        return b ? "true" : "false";
      } else if (k instanceof Double || k instanceof Float || k instanceof BigDecimal) {
        return floatRepr((Number) k);
      } else if (k instanceof Number) {
        return k.toString();
      }
      throw new IllegalArgumentException(
          "keys must be str, int, float, bool or None, not " + k.getClass().getSimpleName());
    }

    private void string(String s) {
      sb.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        String escape = PyStrings.commonEscape(c);
        switch (c) {
          case '"' -> sb.append("\\\"");
          case '\b' -> sb.append("\\b");
          case '\f' -> sb.append("\\f");
          default -> {
            if (escape != null) {
              sb.append(escape);
            } else if (c < 0x20 || (ensureAscii && c > 0x7e)) {
              sb.append(String.format("\\u%04x", (int) c));
            } else {
              sb.append(c);
            }
          }
        }
      }
      sb.append('"');
    }
  }

  private static final Object NULL = new Object();

  /**
   * Python's {@code repr(float)}: the shortest digits that round-trip, positional from 1e-4 to
   * 1e16, otherwise scientific with a signed two-digit exponent ("1e+16", "1.5e-05").
   */
  static String floatRepr(Number n) {
    double d = n.doubleValue();
    if (Double.isNaN(d)) {
      return "NaN";
    } else if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    } else if (d == 0) {
      return (1 / d < 0) ? "-0.0" : "0.0";
    }
    String shortest = n instanceof Float f ? Float.toString(f) : Double.toString(d);
    BigDecimal bd = new BigDecimal(shortest).stripTrailingZeros();
    String digits = bd.unscaledValue().abs().toString();
    int exponent = digits.length() - 1 - bd.scale();
    String sign = d < 0 ? "-" : "";
    if (exponent >= -4 && exponent < 16) {
      String plain = bd.abs().toPlainString();
      return sign + (plain.contains(".") ? plain : plain + ".0");
    }
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    return sign
        + mantissa
        + "e"
        + (exponent < 0 ? "-" : "+")
        + String.format("%02d", Math.abs(exponent));
  }
}
