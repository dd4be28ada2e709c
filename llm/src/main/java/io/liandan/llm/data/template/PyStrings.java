package io.liandan.llm.data.template;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/**
 * Python's {@code str} methods with Python's semantics, for chat templates: {@code split} splits on
 * a literal separator (not a regex) and keeps empty parts, {@code strip(chars)} strips a set of
 * characters, whitespace is Python's {@code str.isspace}. Indices count UTF-16 units, as Java does
 * (Python counts code points; they differ only around characters outside the BMP).
 */
final class PyStrings {
  private PyStrings() {}

  /**
   * The escape that Python's repr, json.dumps and Jinjava's scanner all write for {@code c}
   * (backslash, newline, carriage return, tab), or null: each escapes the rest its own way.
   */
  static String commonEscape(char c) {
    return switch (c) {
      case '\\' -> "\\\\";
      case '\n' -> "\\n";
      case '\r' -> "\\r";
      case '\t' -> "\\t";
      default -> null;
    };
  }

  /** Python's {@code str.isspace} for one character. */
  static boolean isSpace(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
  }

  static String strip(String s, String chars) {
    return rstrip(lstrip(s, chars), chars);
  }

  static String lstrip(String s, String chars) {
    int i = 0;
    while (i < s.length() && stripped(s.charAt(i), chars)) {
      i++;
    }
    return s.substring(i);
  }

  static String rstrip(String s, String chars) {
    int j = s.length();
    while (j > 0 && stripped(s.charAt(j - 1), chars)) {
      j--;
    }
    return s.substring(0, j);
  }

  private static boolean stripped(char c, String chars) {
    return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
  }

  /** {@code s.split(sep, maxsplit)}; a null separator splits on runs of whitespace. */
  static List<String> split(String s, String sep, int maxsplit) {
    if (sep == null) {
      return splitWhitespace(s, maxsplit);
    }
    if (sep.isEmpty()) {
      throw new IllegalArgumentException("empty separator");
    }
    List<String> parts = new ArrayList<>();
    int start = 0;
    int at;
    while ((maxsplit < 0 || parts.size() < maxsplit) && (at = s.indexOf(sep, start)) >= 0) {
      parts.add(s.substring(start, at));
      start = at + sep.length();
    }
    parts.add(s.substring(start));
    return parts;
  }

  /** {@code s.rsplit(sep, maxsplit)}: like split, counted from the right. */
  static List<String> rsplit(String s, String sep, int maxsplit) {
    if (maxsplit < 0) {
      return split(s, sep, -1);
    }
    if (sep == null) {
      List<String> reversed = splitWhitespace(new StringBuilder(s).reverse().toString(), maxsplit);
      List<String> parts = new ArrayList<>();
      for (String p : reversed) {
        parts.add(new StringBuilder(p).reverse().toString());
      }
      Collections.reverse(parts);
      return parts;
    }
    if (sep.isEmpty()) {
      throw new IllegalArgumentException("empty separator");
    }
    List<String> parts = new ArrayList<>();
    int end = s.length();
    int at;
    while (parts.size() < maxsplit && (at = s.lastIndexOf(sep, end - sep.length())) >= 0) {
      parts.add(s.substring(at + sep.length(), end));
      end = at;
    }
    parts.add(s.substring(0, end));
    Collections.reverse(parts);
    return parts;
  }

  private static List<String> splitWhitespace(String s, int maxsplit) {
    List<String> parts = new ArrayList<>();
    int i = 0;
    int n = s.length();
    while (true) {
      while (i < n && isSpace(s.charAt(i))) {
        i++;
      }
      if (i == n) {
        return parts;
      }
      if (maxsplit >= 0 && parts.size() == maxsplit) {
        parts.add(rstrip(s.substring(i), null));
        return parts;
      }
      int j = i;
      while (j < n && !isSpace(s.charAt(j))) {
        j++;
      }
      parts.add(s.substring(i, j));
      i = j;
    }
  }

  /** {@code s.replace(old, new, count)}; a negative count replaces all. */
  static String replace(String s, String old, String replacement, int count) {
    if (count < 0) {
      return s.replace(old, replacement);
    }
    if (old.isEmpty()) {
      throw new IllegalArgumentException(
          "replace of an empty string with a count is not supported");
    }
    StringBuilder sb = new StringBuilder();
    int start = 0;
    int at;
    for (int done = 0; done < count && (at = s.indexOf(old, start)) >= 0; done++) {
      sb.append(s, start, at).append(replacement);
      start = at + old.length();
    }
    return sb.append(s, start, s.length()).toString();
  }

  /** {@code s.title()}: a letter after a non-letter is upper-cased, the others lower-cased. */
  static String title(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    boolean previousCased = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      sb.append(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
      previousCased = Character.isLetter(c);
    }
    return sb.toString();
  }

  /** {@code s.capitalize()}: first character upper-cased, the rest lower-cased. */
  static String capitalize(String s) {
    if (s.isEmpty()) {
      return s;
    }
    return Character.toTitleCase(s.charAt(0)) + s.substring(1).toLowerCase(java.util.Locale.ROOT);
  }

  /** {@code sep.join(items)}; items must be strings, as in Python. */
  static String join(String sep, Object items) {
    Collection<?> parts = Py.iterable(items);
    StringBuilder sb = new StringBuilder();
    boolean first = true;
    for (Object part : parts) {
      if (!(part instanceof CharSequence)) {
        throw new IllegalArgumentException(
            "join expects strings, got "
                + (part == null ? "none" : part.getClass().getSimpleName()));
      }
      if (!first) {
        sb.append(sep);
      }
      sb.append(part);
      first = false;
    }
    return sb.toString();
  }

  /** The value of a Python string literal's body: its backslash escapes resolved. */
  static String unescape(String body) {
    StringBuilder sb = new StringBuilder(body.length());
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c != '\\' || i + 1 == body.length()) {
        sb.append(c);
        continue;
      }
      char e = body.charAt(++i);
      switch (e) {
        case '\n' -> {} // line continuation
        case '\\', '\'', '"' -> sb.append(e);
        case 'a' -> sb.append('\u0007');
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'v' -> sb.append('\u000b');
        case 'x', 'u', 'U' -> {
          int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (i + n >= body.length()) {
            throw new ChatTemplateException("truncated \\" + e + " escape in '" + body + "'");
          }
          sb.appendCodePoint(Integer.parseInt(body.substring(i + 1, i + 1 + n), 16));
          i += n;
        }
        default -> {
          if (e >= '0' && e <= '7') {
            int j = i;
            while (j < body.length()
                && j < i + 3
                && body.charAt(j) >= '0'
                && body.charAt(j) <= '7') {
              j++;
            }
            sb.append((char) Integer.parseInt(body.substring(i, j), 8));
            i = j - 1;
          } else {
            sb.append('\\').append(e); // Python keeps unknown escapes as they are
          }
        }
      }
    }
    return sb.toString();
  }

  /** Python index {@code s[i]} with negative indices counted from the end. */
  static String charAt(String s, long index) {
    long i = index < 0 ? index + s.length() : index;
    if (i < 0 || i >= s.length()) {
      throw new IndexOutOfBoundsException("string index out of range: " + index);
    }
    return String.valueOf(s.charAt((int) i));
  }
}
