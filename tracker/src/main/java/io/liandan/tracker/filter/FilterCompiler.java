package io.liandan.tracker.filter;

import static io.liandan.tracker.db.Tables.METRIC_SUMMARIES;
import static io.liandan.tracker.db.Tables.RUNS;

import io.liandan.tracker.filter.FilterExpr.Attr;
import io.liandan.tracker.filter.FilterExpr.FieldRef;
import io.liandan.tracker.filter.FilterExpr.Literal;
import io.liandan.tracker.filter.FilterExpr.Op;
import io.liandan.tracker.run.RunState;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.SortField;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Turns a {@link FilterExpr} into a jOOQ condition over {@code runs}, and sort expressions into
 * order-by fields. Every literal and every config/summary path is a bind value; the only SQL text
 * here is fixed templates ({@code #>}, {@code jsonb_typeof}).
 *
 * <p>Semantics: comparisons are two-valued (a run without the field does not match {@code =}, does
 * match {@code !=}); a number compares numerically with a JSON number or a string that spells one;
 * {@code summary.K} is the value the client set in the run's summary, else the last logged value of
 * metric K; {@code tags contains "x"} and {@code tags = "x"} test membership; {@code contains} on
 * text is a substring test.
 */
public final class FilterCompiler {
  /** A fixed SQL string literal: the regular expression of a float8 spelled as text. */
  private static final String NUMERIC =
      "'^\\s*([-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?|NaN|[-+]?Infinity)\\s*$'";

  private final Field<String> state;

  /** {@code state} is the run's displayed state (crashed when its heartbeat is too old). */
  public FilterCompiler(Field<String> state) {
    this.state = state;
  }

  public Condition compile(FilterExpr e) {
    if (e == null) {
      return DSL.noCondition();
    }
    if (e instanceof FilterExpr.And a) {
      return compile(a.left()).and(compile(a.right()));
    }
    if (e instanceof FilterExpr.Or o) {
      return compile(o.left()).or(compile(o.right()));
    }
    if (e instanceof FilterExpr.Not n) {
      return compile(n.inner()).not();
    }
    if (e instanceof FilterExpr.Compare c) {
      return twoValued(compare(c.field(), c.op(), c.value()));
    }
    if (e instanceof FilterExpr.Contains c) {
      return twoValued(contains(c.field(), c.value()));
    }
    FilterExpr.In in = (FilterExpr.In) e;
    Condition any = DSL.falseCondition();
    for (Literal v : in.values()) {
      any = any.or(twoValued(compare(in.field(), Op.EQ, v)));
    }
    return any;
  }

  /** One sort key: a field and its direction. */
  public record SortKey(FieldRef field, boolean desc) {}

  /** {@code sort}: comma-separated fields, each optionally prefixed by '-' (descending). */
  public List<SortField<?>> sort(String sort) {
    List<SortKey> keys = new ArrayList<>();
    if (sort != null && !sort.isBlank()) {
      for (String part : sort.split(",")) {
        String p = part.strip();
        boolean desc = p.startsWith("-");
        if (desc || p.startsWith("+")) {
          p = p.substring(1).strip();
        }
        if (p.isEmpty()) {
          throw new FilterException("empty sort field in '" + sort + "'");
        }
        keys.add(new SortKey(FilterParser.parseField(p), desc));
      }
    }
    return sort(keys);
  }

  /** Order-by fields for {@code keys}, nulls last, then the newest run first. */
  public List<SortField<?>> sort(List<SortKey> keys) {
    List<SortField<?>> out = new ArrayList<>();
    for (SortKey k : keys) {
      for (Field<?> f : sortKeys(k.field())) {
        out.add(k.desc() ? f.desc().nullsLast() : f.asc().nullsLast());
      }
    }
    out.add(RUNS.ID.desc());
    return out;
  }

  private List<Field<?>> sortKeys(FieldRef f) {
    return switch (f.attr()) {
      case CONFIG -> List.of(number(RUNS.CONFIG, f.path()), text(RUNS.CONFIG, f.path()));
      case LABELS -> List.of(number(RUNS.LABELS, f.path()), text(RUNS.LABELS, f.path()));
      case SUMMARY -> List.of(summaryNumber(f.path()), text(RUNS.SUMMARY, f.path()));
      case TAGS -> List.of(RUNS.TAGS);
      case ID -> List.of(RUNS.ID);
      case CREATED_AT -> List.of(RUNS.CREATED_AT);
      case UPDATED_AT -> List.of(RUNS.UPDATED_AT);
      default -> List.of(textColumn(f.attr()));
    };
  }

  private Condition compare(FieldRef f, Op op, Literal v) {
    return switch (f.attr()) {
      case ID -> {
        if (!(v instanceof Literal.Num n) || n.value() != Math.rint(n.value())) {
          throw new FilterException("id compares with whole numbers");
        }
        yield cmp(RUNS.ID, op, DSL.val((long) n.value()));
      }
      case STATE -> {
        if (op != Op.EQ && op != Op.NE) {
          throw new FilterException("state compares with = or != only");
        }
        String s = text(v);
        if (RunState.parse(s) == null) {
          throw new FilterException("unknown state '" + s + "'; states are " + RunState.names());
        }
        yield cmp(state, op, DSL.val(s));
      }
      case TAGS -> {
        if (op == Op.EQ) {
          yield contains(f, v);
        }
        if (op == Op.NE) {
          yield contains(f, v).not();
        }
        throw new FilterException("tags takes =, != or contains");
      }
      case CREATED_AT, UPDATED_AT -> {
        Field<OffsetDateTime> col = f.attr() == Attr.CREATED_AT ? RUNS.CREATED_AT : RUNS.UPDATED_AT;
        yield cmp(col, op, DSL.val(timestamp(v)));
      }
      case CONFIG, SUMMARY, LABELS -> compareJson(f, op, v);
      default -> {
        Field<String> col = textColumn(f.attr());
        yield v instanceof Literal.Null
            ? nullCheck(col.isNull(), op)
            : cmp(col, op, DSL.val(text(v)));
      }
    };
  }

  private Condition compareJson(FieldRef f, Op op, Literal v) {
    Field<JSONB> doc = document(f.attr());
    if (v instanceof Literal.Null) {
      Condition missing = node(doc, f.path()).isNull().or(jsonType(doc, f.path()).eq("null"));
      if (f.attr() == Attr.SUMMARY) {
        missing = missing.and(DSL.notExists(metricOf(f.path())));
      }
      return nullCheck(missing, op);
    }
    if (v instanceof Literal.Num n) {
      Field<Double> num =
          f.attr() == Attr.SUMMARY ? summaryNumber(f.path()) : number(doc, f.path());
      return cmp(num, op, DSL.val(n.value()));
    }
    return cmp(text(doc, f.path()), op, DSL.val(text(v)));
  }

  private Condition contains(FieldRef f, Literal v) {
    if (v instanceof Literal.Null) {
      throw new FilterException("contains needs a string or number");
    }
    String s = text(v);
    return switch (f.attr()) {
      case TAGS -> RUNS.TAGS.contains(new String[] {s});
      case CONFIG, SUMMARY, LABELS -> {
        Field<JSONB> doc = document(f.attr());
        Field<JSONB> element =
            v instanceof Literal.Num n
                ? DSL.field("jsonb_build_array({0})", SQLDataType.JSONB, DSL.val(n.value()))
                : DSL.field("jsonb_build_array({0})", SQLDataType.JSONB, DSL.val(s));
        Condition inArray =
            DSL.condition("{0} @> {1}", node(doc, f.path()), element)
                .and(jsonType(doc, f.path()).eq("array"));
        Condition inString =
            jsonType(doc, f.path()).eq("string").and(DSL.position(text(doc, f.path()), s).gt(0));
        yield inArray.or(inString);
      }
      case ID, CREATED_AT, UPDATED_AT, STATE ->
          throw new FilterException(f + " does not take contains");
      default -> DSL.position(textColumn(f.attr()), DSL.val(s)).gt(0);
    };
  }

  private static <T> Condition cmp(Field<T> left, Op op, Field<T> right) {
    return switch (op) {
      case EQ -> left.eq(right);
      case NE -> left.isDistinctFrom(right);
      case LT -> left.lt(right);
      case LE -> left.le(right);
      case GT -> left.gt(right);
      case GE -> left.ge(right);
    };
  }

  private static Condition nullCheck(Condition isNull, Op op) {
    return switch (op) {
      case EQ -> isNull;
      case NE -> isNull.not();
      default -> throw new FilterException("null compares with = or != only");
    };
  }

  /** NULL (a missing field) counts as false, so that {@code not} means what it says. */
  private static Condition twoValued(Condition c) {
    return DSL.condition(DSL.coalesce(DSL.field(c), DSL.inline(false)));
  }

  private Field<String> textColumn(Attr a) {
    return switch (a) {
      case NAME -> RUNS.NAME;
      case KEY -> RUNS.RUN_KEY;
      case GROUP -> RUNS.GROUP_NAME;
      case JOB_TYPE -> RUNS.JOB_TYPE;
      case NOTES -> RUNS.NOTES;
      case STATE -> state;
      default -> throw new FilterException(a.names[0] + " is not a text field");
    };
  }

  private static Field<String[]> pathParam(List<String> path) {
    return DSL.val(path.toArray(String[]::new), SQLDataType.CLOB.array());
  }

  private static Field<JSONB> node(Field<JSONB> doc, List<String> path) {
    return DSL.field("({0} #> {1})", SQLDataType.JSONB, doc, pathParam(path));
  }

  private static Field<String> text(Field<JSONB> doc, List<String> path) {
    return DSL.field("({0} #>> {1})", SQLDataType.CLOB, doc, pathParam(path));
  }

  private static Field<String> jsonType(Field<JSONB> doc, List<String> path) {
    return DSL.field("jsonb_typeof({0})", SQLDataType.CLOB, node(doc, path));
  }

  /**
   * The value at path as double precision: a JSON number, or a string that spells one (MLflow logs
   * every param as a string); null for anything else.
   */
  private static Field<Double> number(Field<JSONB> doc, List<String> path) {
    Field<JSONB> n = node(doc, path);
    return DSL.field(
        "(case jsonb_typeof({0}) when 'number' then ({0})::float8"
            + " when 'string' then case when ({0} #>> '{}') ~ "
            + NUMERIC
            + " then ({0} #>> '{}')::float8 end end)",
        SQLDataType.DOUBLE,
        n);
  }

  private static Field<JSONB> document(Attr a) {
    return switch (a) {
      case CONFIG -> RUNS.CONFIG;
      case SUMMARY -> RUNS.SUMMARY;
      case LABELS -> RUNS.LABELS;
      default -> throw new IllegalArgumentException(a.name());
    };
  }

  /** summary.K: the number the client set, else the last logged value of metric K. */
  private static Field<Double> summaryNumber(List<String> path) {
    return DSL.coalesce(number(RUNS.SUMMARY, path), metricOf(path).<Double>asField());
  }

  private static org.jooq.Select<org.jooq.Record1<Double>> metricOf(List<String> path) {
    return DSL.select(METRIC_SUMMARIES.LAST_VALUE)
        .from(METRIC_SUMMARIES)
        .where(METRIC_SUMMARIES.RUN_ID.eq(RUNS.ID))
        .and(METRIC_SUMMARIES.KEY.eq(DSL.val(String.join(".", path))));
  }

  private static String text(Literal v) {
    if (v instanceof Literal.Str s) {
      return s.value();
    }
    if (v instanceof Literal.Num n) {
      return n.text();
    }
    throw new FilterException("null is not a text value");
  }

  private static OffsetDateTime timestamp(Literal v) {
    String s = text(v);
    try {
      return OffsetDateTime.parse(s);
    } catch (DateTimeParseException e) {
      try {
        return LocalDate.parse(s).atStartOfDay().atOffset(ZoneOffset.UTC);
      } catch (DateTimeParseException e2) {
        throw new FilterException(
            "'" + s + "' is not a timestamp; write 2026-01-31 or 2026-01-31T12:00:00Z");
      }
    }
  }
}
