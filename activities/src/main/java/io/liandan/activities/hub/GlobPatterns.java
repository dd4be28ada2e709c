// Which repo files to download: huggingface_hub's allow_patterns / ignore_patterns, fnmatch
// semantics.
package io.liandan.activities.hub;

import java.util.List;
import java.util.regex.Pattern;

/**
 * A file is kept if it matches one allow pattern (or there are none) and no ignore pattern, as in
 * huggingface_hub's {@code filter_repo_objects}. Patterns follow Python's {@code fnmatch}: {@code
 * *} matches anything <em>including</em> {@code /}, {@code ?} one character, {@code [abc]}, {@code
 * [a-z]} and {@code [!abc]} a set, case-sensitive; a pattern ending in {@code /} means everything
 * under that folder. So {@code *.json} matches {@code sub/x.json} too, exactly as in Python.
 *
 * <p>One difference: Python treats {@code allow_patterns=[]} as "nothing"; here an empty allow list
 * means "everything", because a download of nothing is never what a pipeline wants.
 */
public record GlobPatterns(List<String> allow, List<String> ignore) {
  public static final GlobPatterns ALL = new GlobPatterns(List.of(), List.of());

  public GlobPatterns {
    allow = List.copyOf(allow);
    ignore = List.copyOf(ignore);
  }

  public static GlobPatterns allow(String... patterns) {
    return new GlobPatterns(List.of(patterns), List.of());
  }

  public static GlobPatterns ignore(String... patterns) {
    return new GlobPatterns(List.of(), List.of(patterns));
  }

  /** These allow patterns plus the given ignore patterns. */
  public GlobPatterns ignoring(String... patterns) {
    return new GlobPatterns(allow, List.of(patterns));
  }

  /** Whether a repo-relative path ({@code data/train.jsonl}) is selected. */
  public boolean matches(String path) {
    if (!allow.isEmpty() && allow.stream().noneMatch(p -> fnmatch(path, p))) return false;
    return ignore.stream().noneMatch(p -> fnmatch(path, p));
  }

  /** Python's {@code fnmatch.fnmatchcase(name, pattern)} (POSIX: no case folding). */
  public static boolean fnmatch(String name, String pattern) {
    // huggingface_hub's _add_wildcard_to_directories: "data/" means "data/*".
    if (pattern.endsWith("/")) pattern = pattern + "*";
    return Pattern.compile(translate(pattern), Pattern.DOTALL).matcher(name).matches();
  }

  /** A port of Python's {@code fnmatch.translate} to java.util.regex. */
  static String translate(String pat) {
    StringBuilder re = new StringBuilder();
    int i = 0;
    int n = pat.length();
    while (i < n) {
      char c = pat.charAt(i++);
      if (c == '*') {
        if (re.length() < 2 || !re.substring(re.length() - 2).equals(".*")) re.append(".*");
      } else if (c == '?') {
        re.append('.');
      } else if (c == '[') {
        int j = i;
        if (j < n && pat.charAt(j) == '!') j++;
        if (j < n && pat.charAt(j) == ']') j++;
        while (j < n && pat.charAt(j) != ']') j++;
        if (j >= n) {
          re.append("\\["); // no closing bracket: a literal '[', as in Python
        } else {
          re.append(charClass(pat.substring(i, j)));
          i = j + 1;
        }
      } else {
        re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return re.toString();
  }

  // The inside of [...]: '!' first negates, '-' between two characters is a range, everything
  // else is literal. Each character is escaped for Java, where '[', '&&' and '\' are special
  // inside a class; reversed ranges match nothing, as in Python.
  private static String charClass(String body) {
    boolean negate = body.startsWith("!");
    if (negate) body = body.substring(1);
    StringBuilder set = new StringBuilder();
    int k = 0;
    while (k < body.length()) {
      char lo = body.charAt(k);
      if (k + 2 < body.length() && body.charAt(k + 1) == '-') {
        char hi = body.charAt(k + 2);
        if (lo <= hi) set.append(escape(lo)).append('-').append(escape(hi));
        k += 3;
      } else {
        set.append(escape(lo));
        k++;
      }
    }
    if (set.length() == 0) return negate ? "." : "(?!)";
    return (negate ? "[^" : "[") + set + "]";
  }

  private static String escape(char c) {
    return Character.isLetterOrDigit(c) ? String.valueOf(c) : "\\" + c;
  }
}
