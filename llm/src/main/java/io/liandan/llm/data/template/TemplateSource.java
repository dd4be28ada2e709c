package io.liandan.llm.data.template;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a jinja2 chat template into source that Jinjava renders the same way, or refuses it: reads
 * the template's tags and expressions (strings respected, {@code raw} blocks and comments skipped),
 * rewrites what Jinjava parses differently ({@code x[::-1]}, keyword arguments) and rejects what it
 * cannot render right (loop filters, {@code for … else}, {@code loop.previtem}, string repetition,
 * {@code .format()}, chained comparisons). Not a jinja2 parser: it looks at tokens.
 */
final class TemplateSource {
  private TemplateSource() {}

  private static final Set<String> BLOCKS =
      Set.of("for", "if", "macro", "call", "filter", "block", "with", "autoescape", "generation");
  private static final Set<String> COMPARISONS = Set.of("==", "!=", "<", ">", "<=", ">=");
  private static final Set<String> BOUNDARIES = Set.of("and", "or", "not", "if", "else");
  private static final String RENDERER = " by the Jinjava renderer";
  private static final Pattern END_RAW = Pattern.compile("\\{%[-+]?\\s*endraw\\s*[-+]?%}");

  /** The source to give Jinjava, and the filters and tests it uses (checked by the caller). */
  record Prepared(String source, Set<String> filters, Set<String> tests) {}

  /** The source Jinjava should render; throws {@link ChatTemplateException} if unsupported. */
  static Prepared prepare(String source) {
    String s = source.replace("\r\n", "\n").replace('\r', '\n');
    if (s.endsWith("\n")) {
      s = s.substring(0, s.length() - 1); // jinja2 drops one trailing newline of the source
    }
    Output out = new Output(s.length() + 64);
    Deque<String> blocks = new ArrayDeque<>();
    Set<String> filters = new TreeSet<>();
    Set<String> tests = new TreeSet<>();
    int i = 0;
    while (i < s.length()) {
      int open = nextOpen(s, i);
      if (open < 0) {
        out.text(s.substring(i));
        break;
      }
      out.text(s.substring(i, open));
      char kind = s.charAt(open + 1);
      int close =
          kind == '#'
              ? s.indexOf("#}", open + 2)
              : findClose(s, open + 2, kind == '{' ? "}}" : "%}");
      if (close < 0) {
        throw fail(s, open, "unclosed " + s.substring(open, open + 2));
      }
      char left = open + 2 < close ? s.charAt(open + 2) : ' ';
      char right = close - 1 > open + 2 ? s.charAt(close - 1) : ' ';
      int codeStart = open + 2 + ("-+".indexOf(left) >= 0 ? 1 : 0);
      int codeEnd = close - ("-+".indexOf(right) >= 0 && close - 1 >= codeStart ? 1 : 0);
      int end = close + 2;
      if (kind == '{') {
        List<Token> tokens = tokenize(s.substring(codeStart, codeEnd));
        check(tokens, null, s, codeStart);
        collectNames(tokens, filters, tests);
        out.tag(
            s.substring(open, codeStart)
                + rewrite(s.substring(codeStart, codeEnd), tokens, null)
                + s.substring(codeEnd, end),
            false);
        i = end;
        continue;
      }
      // block tags and comments: trim_blocks and lstrip_blocks as jinja2 has them ("{%+" and
      // "+%}" opt out); Jinjava's own lstrip also strips after text ("f  {% if %}") and knows no
      // "+"
      if (left != '+') {
        out.lstrip();
      }
      boolean trim = right != '-' && right != '+' && end < s.length() && s.charAt(end) == '\n';
      String head = left == '+' ? s.substring(open, open + 2) : s.substring(open, codeStart);
      String tail = right == '+' ? s.substring(close, end) : s.substring(codeEnd, end);
      if (kind == '#') {
        out.tag(head + s.substring(codeStart, codeEnd) + tail, trim);
        i = trim ? end + 1 : end;
        continue;
      }
      String code = s.substring(codeStart, codeEnd);
      List<Token> tokens = tokenize(code);
      String tag = tokens.isEmpty() ? "" : tokens.get(0).text;
      if (tag.equals("raw")) {
        Matcher m = END_RAW.matcher(s);
        int rawEnd = m.find(end) ? m.end() : s.length();
        out.tag(head + code + tail + s.substring(end, rawEnd), false);
        i = rawEnd < s.length() && s.charAt(rawEnd) == '\n' ? rawEnd + 1 : rawEnd;
        continue;
      }
      trackBlocks(tag, tokens, blocks, s, open);
      check(tokens, tag, s, codeStart);
      collectNames(tokens, filters, tests);
      out.tag(head + rewrite(code, tokens, tag) + tail, trim);
      i = trim ? end + 1 : end;
    }
    return new Prepared(out.toString(), filters, tests);
  }

  /** Filters ({@code x|name}) and tests ({@code x is [not] name}) that the tokens use. */
  private static void collectNames(List<Token> t, Set<String> filters, Set<String> tests) {
    for (int k = 0; k + 1 < t.size(); k++) {
      if (t.get(k).is("|") && t.get(k + 1).kind == Kind.NAME) {
        filters.add(t.get(k + 1).text);
      } else if (t.get(k).is("is")) {
        int n = t.get(k + 1).is("not") ? k + 2 : k + 1;
        if (n < t.size() && t.get(n).kind == Kind.NAME) {
          tests.add(t.get(n).text);
        }
      }
    }
  }

  /** The prepared source, and where the current line's text began (for lstrip_blocks). */
  private static final class Output {
    private final StringBuilder sb;
    private int lineStart = 0; // index in sb where the current line starts
    private boolean tagOnLine = false; // a tag or expression was written since lineStart

    Output(int capacity) {
      sb = new StringBuilder(capacity);
    }

    void text(String t) {
      sb.append(t);
      int nl = t.lastIndexOf('\n');
      if (nl >= 0) {
        lineStart = sb.length() - (t.length() - nl - 1);
        tagOnLine = false;
      }
    }

    /** A tag; {@code trimmed}: trim_blocks ate the newline after it, so a new line starts. */
    void tag(String t, boolean trimmed) {
      sb.append(t);
      tagOnLine = !trimmed;
      if (trimmed) {
        lineStart = sb.length();
      }
    }

    /** Drops spaces and tabs between the line's start and a block tag, if nothing else is there. */
    void lstrip() {
      if (tagOnLine) {
        return;
      }
      for (int k = lineStart; k < sb.length(); k++) {
        if (sb.charAt(k) != ' ' && sb.charAt(k) != '\t') {
          return;
        }
      }
      sb.setLength(lineStart);
    }

    @Override
    public String toString() {
      return sb.toString();
    }
  }

  private static int nextOpen(String s, int from) {
    for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
      char c = s.charAt(i + 1);
      if (c == '{' || c == '%' || c == '#') {
        return i;
      }
    }
    return -1;
  }

  /** The closing delimiter's position, skipping string literals. */
  private static int findClose(String s, int from, String delimiter) {
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\'' || c == '"') {
        i = endOfString(s, i) - 1;
      } else if (s.startsWith(delimiter, i)) {
        return i;
      }
    }
    return -1;
  }

  private static int endOfString(String s, int quote) {
    char q = s.charAt(quote);
    for (int i = quote + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == q) {
        return i + 1;
      }
    }
    return s.length();
  }

  enum Kind {
    NAME,
    STRING,
    NUMBER,
    OP
  }

  /** A token of a tag or expression; start and end are offsets in the code. */
  record Token(Kind kind, String text, int start, int end) {
    boolean is(String t) {
      return kind != Kind.STRING && text.equals(t);
    }
  }

  private static List<Token> tokenize(String code) {
    List<Token> tokens = new ArrayList<>();
    int i = 0;
    while (i < code.length()) {
      char c = code.charAt(i);
      int start = i;
      if (Character.isWhitespace(c)) {
        i++;
        continue;
      } else if (c == '\'' || c == '"') {
        i = endOfString(code, i);
        tokens.add(new Token(Kind.STRING, code.substring(start, i), start, i));
      } else if (Character.isDigit(c)) {
        while (i < code.length()
            && (Character.isLetterOrDigit(code.charAt(i)) || "._".indexOf(code.charAt(i)) >= 0)) {
          i++;
        }
        tokens.add(new Token(Kind.NUMBER, code.substring(start, i), start, i));
      } else if (Character.isLetter(c) || c == '_') {
        while (i < code.length()
            && (Character.isLetterOrDigit(code.charAt(i)) || code.charAt(i) == '_')) {
          i++;
        }
        tokens.add(new Token(Kind.NAME, code.substring(start, i), start, i));
      } else {
        String two = i + 1 < code.length() ? code.substring(i, i + 2) : "";
        i += Set.of("==", "!=", "<=", ">=", "//", "**").contains(two) ? 2 : 1;
        tokens.add(new Token(Kind.OP, code.substring(start, i), start, i));
      }
    }
    return tokens;
  }

  private static void trackBlocks(
      String tag, List<Token> tokens, Deque<String> blocks, String s, int at) {
    boolean setBlock = tag.equals("set") && tokens.stream().noneMatch(t -> t.is("="));
    if (BLOCKS.contains(tag) || setBlock) {
      blocks.push(tag);
    } else if (tag.startsWith("end") && !blocks.isEmpty()) {
      blocks.pop();
    } else if (tag.equals("else") && "for".equals(blocks.peek())) {
      throw fail(s, at, "`{% for %}…{% else %}` is not supported" + RENDERER);
    }
  }

  private static void check(List<Token> t, String tag, String s, int offset) {
    if ("for".equals(tag)) {
      int depth = 0;
      boolean afterIn = false;
      for (Token token : t) {
        depth += token.is("(") || token.is("[") || token.is("{") ? 1 : 0;
        depth -= token.is(")") || token.is("]") || token.is("}") ? 1 : 0;
        if (depth == 0 && token.is("in")) {
          afterIn = true;
        } else if (depth == 0 && afterIn && token.is("if")) {
          throw fail(
              s,
              offset + token.start,
              "a loop filter `{% for … if … %}` is not supported" + RENDERER);
        } else if (depth == 0 && token.is("recursive")) {
          throw fail(s, offset + token.start, "recursive loops are not supported" + RENDERER);
        }
      }
    }
    Deque<Boolean> compared = new ArrayDeque<>();
    compared.push(false);
    for (int k = 0; k < t.size(); k++) {
      Token token = t.get(k);
      Token next = k + 1 < t.size() ? t.get(k + 1) : null;
      int at = offset + token.start;
      if (token.is("loop")
          && next != null
          && next.is(".")
          && k + 2 < t.size()
          && Set.of("previtem", "nextitem", "changed").contains(t.get(k + 2).text)) {
        throw fail(s, at, "`loop." + t.get(k + 2).text + "` is not supported" + RENDERER);
      }
      if (token.is(".")
          && next != null
          && next.is("format")
          && k + 2 < t.size()
          && t.get(k + 2).is("(")) {
        throw fail(
            s,
            at,
            "`str.format()` is not supported" + RENDERER + "; use `~` or the `format` filter");
      }
      if (token.is("*")
          && ((next != null && next.kind == Kind.STRING)
              || (k > 0 && t.get(k - 1).kind == Kind.STRING))) {
        throw fail(s, at, "string repetition (`'=' * 3`) is not supported" + RENDERER);
      }
      if (token.is("[")) {
        checkSlice(t, k, s, offset);
      }
      if (token.is("(") || token.is("[") || token.is("{")) {
        compared.push(false);
      } else if ((token.is(")") || token.is("]") || token.is("}")) && compared.size() > 1) {
        compared.pop();
      } else if (token.kind == Kind.OP && COMPARISONS.contains(token.text)) {
        if (compared.peek()) {
          throw fail(
              s,
              at,
              "chained comparisons (`a < b < c`) are not supported"
                  + RENDERER
                  + "; write `a < b and b < c`");
        }
        compared.pop();
        compared.push(true);
      } else if ((token.kind == Kind.NAME && BOUNDARIES.contains(token.text))
          || token.is(",")
          || token.is(":")
          || token.is("=")) {
        compared.pop();
        compared.push(false);
      }
    }
  }

  /** A slice with a step: {@code [::-1]} is rewritten, any other step is refused. */
  private static void checkSlice(List<Token> t, int open, String s, int offset) {
    int close = matching(t, open);
    int colons = 0;
    int depth = 0;
    for (int k = open + 1; k < close; k++) {
      Token token = t.get(k);
      depth += token.is("(") || token.is("[") || token.is("{") ? 1 : 0;
      depth -= token.is(")") || token.is("]") || token.is("}") ? 1 : 0;
      colons += depth == 0 && token.is(":") ? 1 : 0;
    }
    if (colons == 2 && !isReverse(t, open, close)) {
      throw fail(
          s,
          offset + t.get(open).start,
          "slices with a step (other than [::-1]) are not supported" + RENDERER);
    }
  }

  private static boolean isReverse(List<Token> t, int open, int close) {
    return close == open + 5
        && t.get(open + 1).is(":")
        && t.get(open + 2).is(":")
        && t.get(open + 3).is("-")
        && t.get(open + 4).is("1");
  }

  private static int matching(List<Token> t, int open) {
    int depth = 0;
    for (int k = open; k < t.size(); k++) {
      Token token = t.get(k);
      depth += token.is("(") || token.is("[") || token.is("{") ? 1 : 0;
      depth -= token.is(")") || token.is("]") || token.is("}") ? 1 : 0;
      if (depth == 0) {
        return k;
      }
    }
    return t.size() - 1;
  }

  private record Edit(int start, int end, String text) {}

  /**
   * {@code x[::-1]} becomes {@code x|reverse}; the value of each keyword argument is wrapped in
   * parentheses, since Jinjava binds {@code b=messages|length - 1} as {@code (b=messages|length) -
   * 1}. Macro and call signatures are left alone.
   */
  private static String rewrite(String code, List<Token> t, String tag) {
    List<Edit> edits = new ArrayList<>();
    boolean kwargs = !"macro".equals(tag) && !"call".equals(tag);
    Deque<String> brackets = new ArrayDeque<>();
    for (int k = 0; k < t.size(); k++) {
      Token token = t.get(k);
      if (token.is("[") && isReverse(t, k, matching(t, k))) {
        edits.add(new Edit(token.start, t.get(k + 5).end, "|reverse"));
        k += 5;
        continue;
      }
      if (token.kind == Kind.STRING && token.text.indexOf('\\') >= 0) {
        edits.add(new Edit(token.start, token.end, jinjavaLiteral(token.text)));
      } else if (token.is("(") || token.is("[") || token.is("{")) {
        brackets.push(token.text);
      } else if (token.is(")") || token.is("]") || token.is("}")) {
        brackets.poll();
      } else if (kwargs
          && token.kind == Kind.NAME
          && "(".equals(brackets.peek())
          && k > 0
          && (t.get(k - 1).is("(") || t.get(k - 1).is(","))
          && k + 2 < t.size()
          && t.get(k + 1).is("=")) {
        int end = valueEnd(t, k + 2);
        edits.add(new Edit(t.get(k + 2).start, t.get(k + 2).start, "("));
        edits.add(new Edit(t.get(end).end, t.get(end).end, ")"));
      }
    }
    if (edits.isEmpty()) {
      return code;
    }
    edits.sort(Comparator.comparingInt(Edit::start).thenComparingInt(Edit::end).reversed());
    StringBuilder sb = new StringBuilder(code);
    for (Edit e : edits) {
      sb.replace(e.start, e.end, e.text);
    }
    return sb.toString();
  }

  /**
   * A string literal with Python's escapes (\\u00e9, \\x41, \\v, octal, unknown ones kept)
   * re-written with only the escapes Jinjava's scanner knows.
   */
  static String jinjavaLiteral(String literal) {
    char quote = literal.charAt(0);
    String value = PyStrings.unescape(literal.substring(1, Math.max(1, literal.length() - 1)));
    StringBuilder sb = new StringBuilder(value.length() + 2).append(quote);
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      String escape = PyStrings.commonEscape(c);
      if (escape != null) sb.append(escape);
      else sb.append(c == quote ? "\\" + c : String.valueOf(c));
    }
    return sb.append(quote).toString();
  }

  /** The last token of a keyword argument's value: before the next ',' or ')' at its depth. */
  private static int valueEnd(List<Token> t, int from) {
    int depth = 0;
    for (int k = from; k < t.size(); k++) {
      Token token = t.get(k);
      if (depth == 0 && (token.is(",") || token.is(")"))) {
        return k - 1;
      }
      depth += token.is("(") || token.is("[") || token.is("{") ? 1 : 0;
      depth -= token.is(")") || token.is("]") || token.is("}") ? 1 : 0;
    }
    return t.size() - 1;
  }

  private static ChatTemplateException fail(String s, int at, String what) {
    int line = 1;
    for (int i = 0; i < at && i < s.length(); i++) {
      line += s.charAt(i) == '\n' ? 1 : 0;
    }
    return new ChatTemplateException("chat template line " + line + ": " + what);
  }
}
