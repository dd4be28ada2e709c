package io.liandan.llm.data.template;

import com.hubspot.jinjava.objects.SafeString;
import java.beans.FeatureDescriptor;
import java.util.Collection;
import java.util.Iterator;
import java.util.Locale;
import java.util.regex.Pattern;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python string methods for Jinjava: {@code s.startswith(…)}, {@code s.split('</think>')[-1]}, …
 * Placed before Jinjava's resolvers, which would otherwise call Java's {@code String} methods
 * (regex {@code split}, no {@code startswith}) or resolve nothing. Also {@code s[i]} with negative
 * indices. Only strings are handled here; lists, dicts and everything else fall through.
 */
final class PyStringResolver extends ELResolver {

  @Override
  public Object invoke(
      ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
    if (!(base instanceof String || base instanceof SafeString) || method == null) {
      return null;
    }
    String s = base.toString();
    Object[] a = params == null ? new Object[0] : params;
    Object result =
        switch (method.toString()) {
          case "startswith" -> affix(s, a, true);
          case "endswith" -> affix(s, a, false);
          case "strip" -> PyStrings.strip(s, chars(a, 0));
          case "lstrip" -> PyStrings.lstrip(s, chars(a, 0));
          case "rstrip" -> PyStrings.rstrip(s, chars(a, 0));
          case "split" -> PyStrings.split(s, chars(a, 0), count(a, 1));
          case "rsplit" -> PyStrings.rsplit(s, chars(a, 0), count(a, 1));
          case "upper" -> s.toUpperCase(Locale.ROOT);
          case "lower" -> s.toLowerCase(Locale.ROOT);
          case "title" -> PyStrings.title(s);
          case "capitalize" -> PyStrings.capitalize(s);
          case "replace" -> PyStrings.replace(s, str(a, 0), str(a, 1), count(a, 2));
          case "join" -> PyStrings.join(s, arg(a, 0));
          case "find" -> (long) s.indexOf(str(a, 0));
          case "rfind" -> (long) s.lastIndexOf(str(a, 0));
          case "count" -> count(s, str(a, 0));
          case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
          case "isspace" -> !s.isEmpty() && s.chars().allMatch(c -> PyStrings.isSpace((char) c));
          case "islower" ->
              !s.equals(s.toUpperCase(Locale.ROOT)) && s.equals(s.toLowerCase(Locale.ROOT));
          case "isupper" ->
              !s.equals(s.toLowerCase(Locale.ROOT)) && s.equals(s.toUpperCase(Locale.ROOT));
          default -> NOT_HANDLED;
        };
    if (result == NOT_HANDLED) {
      return null;
    }
    context.setPropertyResolved(true);
    return result;
  }

  private static final Object NOT_HANDLED = new Object();
  private static final Pattern INDEX = Pattern.compile("-?\\d{1,9}");

  @Override
  public Object getValue(ELContext context, Object base, Object property) {
    // Jinjava's resolver hands indices over as strings: s[-1] arrives as ("…", "-1")
    if ((base instanceof String || base instanceof SafeString)
        && property != null
        && INDEX.matcher(property.toString()).matches()) {
      context.setPropertyResolved(true);
      String s = base.toString();
      long i = Long.parseLong(property.toString());
      // out of range is undefined in Jinja, not an error
      return (i < -s.length() || i >= s.length()) ? null : PyStrings.charAt(s, i);
    }
    return null;
  }

  private static boolean affix(String s, Object[] a, boolean prefix) {
    Object what = Py.unwrap(arg(a, 0));
    int start = a.length > 1 ? Math.max(0, Math.min(s.length(), index(a[1], s))) : 0;
    int end = a.length > 2 ? Math.max(start, Math.min(s.length(), index(a[2], s))) : s.length();
    String part = s.substring(start, Math.max(start, end));
    Collection<?> options =
        what instanceof CharSequence ? java.util.List.of(what.toString()) : Py.iterable(what);
    for (Object o : options) {
      String x = String.valueOf(Py.unwrap(o));
      if (prefix ? part.startsWith(x) : part.endsWith(x)) {
        return true;
      }
    }
    return false;
  }

  private static int index(Object o, String s) {
    int i = ((Number) o).intValue();
    return i < 0 ? i + s.length() : i;
  }

  private static long count(String s, String sub) {
    if (sub.isEmpty()) {
      return s.length() + 1L;
    }
    long n = 0;
    for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
      n++;
    }
    return n;
  }

  private static Object arg(Object[] a, int i) {
    if (i >= a.length) {
      throw new IllegalArgumentException("missing argument " + (i + 1));
    }
    return a[i];
  }

  private static String str(Object[] a, int i) {
    Object o = Py.unwrap(arg(a, i));
    if (!(o instanceof String s)) {
      throw new IllegalArgumentException("argument " + (i + 1) + " must be a string");
    }
    return s;
  }

  /** An optional string argument (None or absent: Python's default). */
  private static String chars(Object[] a, int i) {
    return i < a.length && a[i] != null ? str(a, i) : null;
  }

  /** An optional count argument (absent: -1, all). */
  private static int count(Object[] a, int i) {
    return i < a.length && a[i] != null ? ((Number) a[i]).intValue() : -1;
  }

  @Override
  public Class<?> getType(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public void setValue(ELContext context, Object base, Object property, Object value) {}

  @Override
  public boolean isReadOnly(ELContext context, Object base, Object property) {
    return true;
  }

  @Override
  public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
    return null;
  }

  @Override
  public Class<?> getCommonPropertyType(ELContext context, Object base) {
    return base instanceof String ? Object.class : null;
  }
}
