package io.liandan.tracker.filter;

import io.liandan.tracker.Limits;
import io.liandan.tracker.filter.FilterExpr.Attr;
import io.liandan.tracker.filter.FilterExpr.FieldRef;
import io.liandan.tracker.filter.FilterExpr.Literal;
import io.liandan.tracker.filter.FilterExpr.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Hand-written recursive-descent parser of the runs filter language. Values never become SQL text:
 * the parser builds a {@link FilterExpr} tree and {@link FilterCompiler} binds every literal.
 *
 * <pre>
 * filter  := or
 * or      := and ( "or" and )*
 * and     := not ( "and" not )*
 * not     := "not" not | atom
 * atom    := "(" or ")"
 *          | field op value
 *          | field "contains" value
 *          | field "in" "(" value ( "," value )* ")"
 * field   := id | state | name | key | group | job_type | notes | tags | created_at | updated_at
 *          | "config." path | "summary." path | "labels." path
 * path    := segment ( "." segment )*      segment := [A-Za-z0-9_/-]+ | quoted string
 * op      := "=" | "==" | "!=" | "&lt;&gt;" | "&lt;" | "&lt;=" | "&gt;" | "&gt;="
 * value   := number | NaN | Infinity | -Infinity | 'string' | "string" | bare-word | null
 * </pre>
 *
 * Keywords are case-insensitive; strings take backslash escapes.
 */
public final class FilterParser extends Scanner {

  /** Open parentheses and nots around the current position (each is a level of recursion). */
  private int depth;

  private FilterParser(String src) {
    super(src);
  }

  /** The tree of {@code filter}; null for a blank filter (every run). */
  public static FilterExpr parse(String filter) {
    if (filter == null || filter.isBlank()) {
      return null;
    }
    FilterParser p = new FilterParser(filter);
    FilterExpr e = p.or();
    p.end();
    return e;
  }

  /** A field reference as written in a sort expression ("config.lr", "summary.eval/loss"). */
  static FieldRef parseField(String text) {
    FilterParser p = new FilterParser(text);
    FieldRef f = p.field();
    p.end();
    return f;
  }

  /** Nothing but white space may follow what was parsed. */
  private void end() {
    skipSpace();
    if (pos < src.length()) {
      throw error("unexpected '" + rest() + "'");
    }
  }

  private FilterExpr or() {
    FilterExpr left = and();
    while (keyword("or")) {
      left = new FilterExpr.Or(left, and());
    }
    return left;
  }

  private FilterExpr and() {
    FilterExpr left = not();
    while (keyword("and")) {
      left = new FilterExpr.And(left, not());
    }
    return left;
  }

  private FilterExpr not() {
    if (keyword("not")) {
      enter();
      FilterExpr e = new FilterExpr.Not(not());
      depth--;
      return e;
    }
    return atom();
  }

  /**
   * One level deeper: past {@link Limits#MAX_FILTER_DEPTH} the filter is refused before the
   * recursion (here, in the SQL renderer and in PostgreSQL) can overflow a stack.
   */
  private void enter() {
    if (++depth > Limits.MAX_FILTER_DEPTH) {
      throw error("parentheses and 'not' nest deeper than " + Limits.MAX_FILTER_DEPTH + " levels");
    }
  }

  private FilterExpr atom() {
    skipSpace();
    if (peek() == '(') {
      enter();
      pos++;
      FilterExpr e = or();
      expect(')');
      depth--;
      return e;
    }
    FieldRef field = field();
    if (keyword("contains")) {
      return new FilterExpr.Contains(field, value());
    }
    if (keyword("in")) {
      expect('(');
      List<Literal> values = new ArrayList<>(List.of(value()));
      skipSpace();
      while (peek() == ',') {
        pos++;
        values.add(value());
        skipSpace();
      }
      expect(')');
      return new FilterExpr.In(field, values);
    }
    Op op = op();
    if (op == null) {
      throw error("expected an operator (=, !=, <, <=, >, >=, contains, in) after '" + field + "'");
    }
    return new FilterExpr.Compare(field, op, value());
  }

  private FieldRef field() {
    skipSpace();
    int start = pos;
    String head = bareSegment();
    if (head.isEmpty()) {
      throw error(pos >= src.length() ? "expected a field at the end" : "expected a field");
    }
    Attr attr = Attr.named(head);
    if (attr == null) {
      pos = start;
      throw error(
          "unknown field '"
              + head
              + "'; fields are id, state, name, key, group, job_type, notes, tags, created_at,"
              + " updated_at, config.<path>, summary.<path>, labels.<path>");
    }
    List<String> path = new ArrayList<>();
    while (peek() == '.') {
      pos++;
      char c = peek();
      String seg = (c == '"' || c == '\'') ? quoted() : bareSegment();
      if (seg.isEmpty()) {
        throw error("expected a path segment after '.'");
      }
      path.add(seg);
    }
    if (attr.hasPath() && path.isEmpty()) {
      throw error("'" + head + "' needs a path, e.g. " + head + ".learning_rate");
    }
    if (!attr.hasPath() && !path.isEmpty()) {
      throw error("'" + head + "' has no sub-fields");
    }
    return new FieldRef(attr, List.copyOf(path));
  }

  private String bareSegment() {
    int start = pos;
    while (pos < src.length() && isSegmentChar(src.charAt(pos))) {
      pos++;
    }
    return src.substring(start, pos);
  }

  @Override
  protected boolean isWordChar(char c) {
    return isSegmentChar(c);
  }

  private static boolean isSegmentChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '/' || c == '-';
  }

  private Op op() {
    skipSpace();
    if (match("==") || match("=")) {
      return Op.EQ;
    }
    if (match("!=") || match("<>")) {
      return Op.NE;
    }
    if (match("<=")) {
      return Op.LE;
    }
    if (match(">=")) {
      return Op.GE;
    }
    if (match("<")) {
      return Op.LT;
    }
    if (match(">")) {
      return Op.GT;
    }
    return null;
  }

  private Literal value() {
    skipSpace();
    if (pos >= src.length()) {
      throw error("expected a value at the end");
    }
    char c = peek();
    if (c == '"' || c == '\'') {
      return new Literal.Str(quoted());
    }
    if (Character.isDigit(c) || c == '.' || c == '-' || c == '+') {
      return number();
    }
    String word = bareSegment();
    if (word.isEmpty()) {
      throw error("expected a value");
    }
    return switch (word.toLowerCase(Locale.ROOT)) {
      case "null" -> new Literal.Null();
      case "nan" -> new Literal.Num(Double.NaN, word);
      case "inf", "infinity" -> new Literal.Num(Double.POSITIVE_INFINITY, word);
      default -> new Literal.Str(word);
    };
  }

  private Literal number() {
    int start = pos;
    if (peek() == '-' || peek() == '+') {
      pos++;
    }
    if (Character.isLetter(peek())) {
      String word = bareSegment().toLowerCase(Locale.ROOT);
      if (word.equals("inf") || word.equals("infinity")) {
        boolean neg = src.charAt(start) == '-';
        return new Literal.Num(
            neg ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY, src.substring(start, pos));
      }
      pos = start;
      throw error("expected a number");
    }
    while (pos < src.length() && (Character.isDigit(peek()) || peek() == '.')) {
      pos++;
    }
    if (peek() == 'e' || peek() == 'E') {
      pos++;
      if (peek() == '-' || peek() == '+') {
        pos++;
      }
      while (pos < src.length() && Character.isDigit(peek())) {
        pos++;
      }
    }
    String text = src.substring(start, pos);
    if (pos < src.length() && isSegmentChar(peek())) {
      pos = start;
      throw error("malformed number");
    }
    try {
      return new Literal.Num(Double.parseDouble(text), text);
    } catch (NumberFormatException e) {
      pos = start;
      throw error("malformed number '" + text + "'");
    }
  }

  private String quoted() {
    char quote = src.charAt(pos);
    int start = pos++;
    StringBuilder sb = new StringBuilder();
    while (pos < src.length()) {
      char c = src.charAt(pos++);
      if (c == quote) {
        return sb.toString();
      }
      if (c == '\\' && pos < src.length()) {
        c = src.charAt(pos++);
        sb.append(
            switch (c) {
              case 'n' -> '\n';
              case 't' -> '\t';
              default -> c;
            });
      } else {
        sb.append(c);
      }
    }
    pos = start;
    throw error("unterminated string");
  }

  private String rest() {
    String r = src.substring(pos);
    return r.length() > 20 ? r.substring(0, 20) + "…" : r;
  }
}
