package io.liandan.tracker.mlflow;

import io.liandan.tracker.filter.FilterCompiler.SortKey;
import io.liandan.tracker.filter.FilterExpr;
import io.liandan.tracker.filter.FilterExpr.Attr;
import io.liandan.tracker.filter.FilterExpr.FieldRef;
import io.liandan.tracker.filter.FilterExpr.Literal;
import io.liandan.tracker.filter.FilterExpr.Op;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * MLflow's search syntax onto the tracker's filter tree: {@code metrics.K} is summary.K (the last
 * value), {@code params.K} is config.K, {@code tags.K} is labels.K (mlflow.runName and
 * mlflow.note.content are the run's name and notes; liandan.group, liandan.job_type and liandan.key
 * are the run's fields, and {@code tags.liandan.tags = 'x'} tests membership in its tag list),
 * {@code attributes.status|run_name|run_id| start_time}. Clauses join with AND; keys may be quoted
 * with backticks or double quotes. LIKE and ILIKE are not supported (400).
 */
final class MlflowFilter extends MlflowScanner {
  private static final String WORD_CHARS = "_-/:"; // besides letters and digits

  private MlflowFilter(String src) {
    super(src);
  }

  static FilterExpr parse(String filter) {
    if (filter == null || filter.isBlank()) {
      return null;
    }
    MlflowFilter p = new MlflowFilter(filter);
    FilterExpr e = p.clause();
    while (p.keyword("and")) {
      e = new FilterExpr.And(e, p.clause());
    }
    p.skipSpace();
    if (p.pos < p.src.length()) {
      throw p.error("expected AND");
    }
    return e;
  }

  /** "metrics.`eval loss` DESC" → a sort key. */
  static SortKey orderBy(String clause) {
    MlflowFilter p = new MlflowFilter(clause);
    FieldRef f = p.identifier();
    boolean desc = false;
    if (p.keyword("desc")) {
      desc = true;
    } else {
      p.keyword("asc");
    }
    p.skipSpace();
    if (p.pos < p.src.length()) {
      throw p.error("expected ASC or DESC");
    }
    return new SortKey(f, desc);
  }

  private FilterExpr clause() {
    FieldRef field = identifier();
    if (keyword("like") || keyword("ilike")) {
      throw error("LIKE and ILIKE are not supported here");
    }
    if (keyword("in")) {
      expect('(');
      List<Literal> values = new ArrayList<>();
      values.add(value(field));
      skipSpace();
      while (peek() == ',') {
        pos++;
        values.add(value(field));
        skipSpace();
      }
      expect(')');
      return new FilterExpr.In(field, values);
    }
    Op op = op();
    return new FilterExpr.Compare(field, op, value(field));
  }

  private FieldRef identifier() {
    skipSpace();
    String entity = word(WORD_CHARS).toLowerCase(Locale.ROOT);
    String key;
    if (peek() == '.') {
      pos++;
      char c = peek();
      // a key may contain dots (tags.mlflow.runName), as in MLflow: only the first one splits
      key = (c == '`' || c == '"') ? quoted() : dottedWord();
    } else {
      key = entity;
      entity = "attributes";
    }
    if (key.isEmpty()) {
      throw error("expected a key after '" + entity + ".'");
    }
    return switch (entity) {
      case "metric", "metrics" -> new FieldRef(Attr.SUMMARY, List.of(key));
      case "param", "params", "parameter", "parameters" -> new FieldRef(Attr.CONFIG, List.of(key));
      case "tag", "tags" ->
          switch (key) {
            case MlflowService.RUN_NAME_TAG -> new FieldRef(Attr.NAME, List.of());
            case MlflowService.NOTE_TAG -> new FieldRef(Attr.NOTES, List.of());
            case MlflowService.GROUP_TAG -> new FieldRef(Attr.GROUP, List.of());
            case MlflowService.JOB_TYPE_TAG -> new FieldRef(Attr.JOB_TYPE, List.of());
            case MlflowService.KEY_TAG -> new FieldRef(Attr.KEY, List.of());
            case MlflowService.TAGS_TAG -> new FieldRef(Attr.TAGS, List.of());
            default -> new FieldRef(Attr.LABELS, List.of(key));
          };
      case "attribute", "attributes", "attr", "run" ->
          switch (key) {
            case "status" -> new FieldRef(Attr.STATE, List.of());
            case "run_name" -> new FieldRef(Attr.NAME, List.of());
            case "run_id" -> new FieldRef(Attr.ID, List.of());
            case "start_time", "created" -> new FieldRef(Attr.CREATED_AT, List.of());
            default -> throw error("unsupported attribute '" + key + "'");
          };
      default ->
          throw error("unknown entity '" + entity + "'; use metrics, params, tags, attributes");
    };
  }

  private Literal value(FieldRef field) {
    skipSpace();
    char c = peek();
    String text;
    boolean number = false;
    if (c == '\'' || c == '"') {
      text = quoted();
    } else {
      int start = pos;
      while (pos < src.length()
          && !Character.isWhitespace(peek())
          && peek() != ')'
          && peek() != ',') {
        pos++;
      }
      text = src.substring(start, pos);
      if (text.isEmpty()) {
        throw error("expected a value");
      }
      number = true;
    }
    switch (field.attr()) {
      case STATE:
        return new Literal.Str(MlflowService.state(text));
      case ID:
        return new Literal.Num(parseNumber(text), text);
      case CREATED_AT:
        return new Literal.Str(Instant.ofEpochMilli((long) parseNumber(text)).toString());
      case SUMMARY:
        return new Literal.Num(parseNumber(text), text);
      default:
        if (number) {
          return new Literal.Num(parseNumber(text), text);
        }
        return new Literal.Str(text);
    }
  }

  private double parseNumber(String text) {
    try {
      return Double.parseDouble(text.strip());
    } catch (NumberFormatException e) {
      throw error("'" + text + "' is not a number");
    }
  }

  private Op op() {
    skipSpace();
    for (String[] o :
        new String[][] {
          {"!=", "NE"},
          {"<>", "NE"},
          {"<=", "LE"},
          {">=", "GE"},
          {"=", "EQ"},
          {"<", "LT"},
          {">", "GT"}
        }) {
      if (src.startsWith(o[0], pos)) {
        pos += o[0].length();
        if (o[0].equals("=") && peek() == '=') {
          pos++;
        }
        return Op.valueOf(o[1]);
      }
    }
    throw error("expected a comparison operator");
  }

  private String dottedWord() {
    StringBuilder sb = new StringBuilder(word(WORD_CHARS));
    while (peek() == '.' && !sb.isEmpty()) {
      pos++;
      sb.append('.').append(word(WORD_CHARS));
    }
    return sb.toString();
  }
}
