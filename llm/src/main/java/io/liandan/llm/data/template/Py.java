package io.liandan.llm.data.template;

import com.hubspot.jinjava.objects.SafeString;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** Python's view of Jinjava's values: truthiness and iteration. */
final class Py {
  private Py() {}

  /**
   * Python's {@code bool(x)}. Jinjava's own rule also calls the strings "false" and "False" false,
   * which would silently drop a message whose content is that word.
   */
  static boolean truth(Object x) {
    x = unwrap(x);
    if (x == null) {
      return false;
    } else if (x instanceof Boolean b) {
      return b;
    } else if (x instanceof BigDecimal d) {
      return d.signum() != 0;
    } else if (x instanceof Number n) {
      return n.doubleValue() != 0;
    } else if (x instanceof CharSequence s) {
      return s.length() > 0;
    } else if (x instanceof Collection<?> c) {
      return !c.isEmpty();
    } else if (x instanceof Map<?, ?> m) {
      return !m.isEmpty();
    } else if (x.getClass().isArray()) {
      return Array.getLength(x) > 0;
    }
    return true;
  }

  /**
   * Python's {@code str(x)}, which {@code {{ x }}} prints: True/False, Python reprs inside lists
   * and dicts. Undefined and None both print as "" (Jinjava cannot tell them apart; jinja2 prints
   * None as "None" but undefined as "").
   */
  static String str(Object x) {
    x = unwrap(x);
    if (x == null) {
      return "";
    } else if (x instanceof String s) {
      return s;
    }
    return repr(x);
  }

  /** Python's {@code repr(x)} for the values templates hold. */
  static String repr(Object x) {
    x = unwrap(x);
    if (x == null) {
      return "None";
    } else if (x instanceof Boolean b) {
      return b ? "True" : "False";
    } else if (x instanceof CharSequence s) {
      return quote(s.toString());
    } else if (x instanceof Double || x instanceof Float) {
      return PyJson.floatRepr((Number) x);
    } else if (x instanceof Map<?, ?> m) {
      StringBuilder sb = new StringBuilder("{");
      m.forEach(
          (k, v) ->
              sb.append(sb.length() > 1 ? ", " : "").append(repr(k)).append(": ").append(repr(v)));
      return sb.append('}').toString();
    } else if (x instanceof Collection<?> || x.getClass().isArray()) {
      StringBuilder sb = new StringBuilder("[");
      for (Object item : iterable(x)) {
        sb.append(sb.length() > 1 ? ", " : "").append(repr(item));
      }
      return sb.append(']').toString();
    }
    return x.toString();
  }

  private static String quote(String s) {
    char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
    StringBuilder sb = new StringBuilder(s.length() + 2).append(q);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      String escape = PyStrings.commonEscape(c);
      if (escape != null) sb.append(escape);
      else if (c == q) sb.append('\\').append(c);
      else if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
      else sb.append(c);
    }
    return sb.append(q).toString();
  }

  /** jinja2's {@code is iterable}: strings, lists, dicts, … (anything {@code iter()} accepts). */
  static boolean isIterable(Object x) {
    return isSequence(x) || unwrap(x) instanceof Iterable<?>;
  }

  /** jinja2's {@code is sequence}: anything with a length and indexing (strings, lists, dicts). */
  static boolean isSequence(Object x) {
    x = unwrap(x);
    return x instanceof CharSequence
        || x instanceof List<?>
        || x instanceof Map<?, ?>
        || (x != null && x.getClass().isArray());
  }

  static Object unwrap(Object x) {
    return x instanceof SafeString s ? s.toString() : x;
  }

  /** The items of a list, tuple, array or string (its characters), or a map's keys. */
  static Collection<?> iterable(Object x) {
    x = unwrap(x);
    if (x instanceof Collection<?> c) {
      return c;
    } else if (x instanceof Map<?, ?> m) {
      return m.keySet();
    } else if (x instanceof Iterable<?> it) {
      List<Object> items = new ArrayList<>();
      it.forEach(items::add);
      return items;
    } else if (x != null && x.getClass().isArray()) {
      List<Object> items = new ArrayList<>();
      for (int i = 0; i < Array.getLength(x); i++) {
        items.add(Array.get(x, i));
      }
      return items;
    } else if (x instanceof String s) {
      List<Object> chars = new ArrayList<>();
      s.chars().forEach(c -> chars.add(String.valueOf((char) c)));
      return chars;
    }
    throw new IllegalArgumentException(
        "'" + (x == null ? "none" : x.getClass().getSimpleName()) + "' object is not iterable");
  }
}
