package io.liandan.tracker.mlflow;

import static io.liandan.tracker.db.Tables.PROJECTS;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.SortField;
import org.jooq.impl.DSL;

/**
 * MLflow's search_experiments filter and order_by onto the projects table, as jOOQ conditions with
 * bound values (nothing typed is spliced into SQL). Attributes: {@code name} (=, !=, LIKE, ILIKE),
 * {@code creation_time} and {@code last_update_time} (epoch milliseconds; both are the project's
 * creation, as projects keep no update time), {@code tags.K} (experiments carry no tags here, so a
 * tag clause matches nothing); clauses join with AND. Order keys: name, experiment_id,
 * creation_time, last_update_time; MLflow's default is {@code creation_time DESC}, ties by id.
 */
final class MlflowExperimentFilter extends MlflowScanner {
  private static final String WORD_CHARS = "_"; // besides letters and digits

  /** Experiment ids as the API shows them: the Default project is "0". */
  static final Field<Long> EXPERIMENT_ID =
      DSL.when(PROJECTS.NAME.eq(MlflowService.DEFAULT_EXPERIMENT), DSL.inline(0L))
          .otherwise(PROJECTS.ID);

  private MlflowExperimentFilter(String src) {
    super(src);
  }

  static Condition parse(String filter) {
    if (filter == null || filter.isBlank()) {
      return DSL.noCondition();
    }
    MlflowExperimentFilter p = new MlflowExperimentFilter(filter);
    Condition c = p.clause();
    while (p.keyword("and")) {
      c = c.and(p.clause());
    }
    p.skipSpace();
    if (p.pos < p.src.length()) {
      throw p.error("expected AND");
    }
    return c;
  }

  /** The sort for MLflow's order_by clauses ("name ASC", "attribute.creation_time DESC"). */
  static List<SortField<?>> orderBy(List<String> clauses) {
    List<SortField<?>> order = new ArrayList<>();
    if (clauses == null || clauses.isEmpty()) {
      order.add(PROJECTS.CREATED_AT.desc());
    } else {
      for (String clause : clauses) {
        MlflowExperimentFilter p = new MlflowExperimentFilter(clause == null ? "" : clause);
        String key = p.attribute();
        Field<?> f =
            switch (key) {
              case "name" -> PROJECTS.NAME;
              case "experiment_id" -> EXPERIMENT_ID;
              case "creation_time", "last_update_time" -> PROJECTS.CREATED_AT;
              default ->
                  throw p.error(
                      "cannot order by '"
                          + key
                          + "'; one of name, experiment_id, creation_time, last_update_time");
            };
        boolean desc = p.keyword("desc");
        if (!desc) {
          p.keyword("asc");
        }
        p.skipSpace();
        if (p.pos < p.src.length()) {
          throw p.error("expected ASC or DESC");
        }
        order.add(desc ? f.desc() : f.asc());
      }
    }
    order.add(EXPERIMENT_ID.asc());
    return order;
  }

  private Condition clause() {
    skipSpace();
    if (peekWord("tags") || peekWord("tag")) {
      word(WORD_CHARS);
      expect('.');
      key();
      op(true);
      stringValue();
      // experiments carry no tags here: = and LIKE find none, and so does != (MLflow's != only
      // matches experiments that have the tag)
      return DSL.falseCondition();
    }
    String attr = attribute();
    switch (attr) {
      case "name" -> {
        String op = op(true);
        String v = stringValue();
        return switch (op) {
          case "=" -> PROJECTS.NAME.eq(v);
          case "!=" -> PROJECTS.NAME.ne(v);
          case "like" -> PROJECTS.NAME.like(v);
          case "ilike" -> PROJECTS.NAME.likeIgnoreCase(v);
          default -> throw error("name takes =, !=, LIKE or ILIKE, not " + op);
        };
      }
      case "creation_time", "last_update_time" -> {
        String op = op(false);
        OffsetDateTime t = Instant.ofEpochMilli(millis()).atOffset(ZoneOffset.UTC);
        var f = PROJECTS.CREATED_AT;
        return switch (op) {
          case "=" -> f.eq(t);
          case "!=" -> f.ne(t);
          case "<" -> f.lt(t);
          case "<=" -> f.le(t);
          case ">" -> f.gt(t);
          default -> f.ge(t);
        };
      }
      default ->
          throw error(
              "unsupported attribute '"
                  + attr
                  + "'; use name, creation_time, last_update_time or tags.<key>");
    }
  }

  private boolean peekWord(String w) {
    return src.regionMatches(true, pos, w + ".", 0, w.length() + 1);
  }

  /** "name", "attribute.name", "attributes.`name`" → "name". */
  private String attribute() {
    skipSpace();
    String w = word(WORD_CHARS).toLowerCase(Locale.ROOT);
    if ((w.equals("attribute") || w.equals("attributes")) && peek() == '.') {
      pos++;
      w = key().toLowerCase(Locale.ROOT);
    }
    if (w.isEmpty()) {
      throw error("expected an attribute");
    }
    return w;
  }

  private String key() {
    char c = peek();
    String k = (c == '`' || c == '"') ? quoted() : word(WORD_CHARS);
    if (k.isEmpty()) {
      throw error("expected a key");
    }
    return k;
  }

  /** The comparator, lower-cased; {@code text} allows LIKE/ILIKE, otherwise the order ones. */
  private String op(boolean text) {
    skipSpace();
    if (text && keyword("like")) {
      return "like";
    }
    if (text && keyword("ilike")) {
      return "ilike";
    }
    for (String o : new String[] {"!=", "<>", "<=", ">=", "=", "<", ">"}) {
      if (match(o)) {
        if (text && !o.equals("=") && !o.equals("!=") && !o.equals("<>")) {
          throw error("'" + o + "' compares numbers; use =, !=, LIKE or ILIKE here");
        }
        return o.equals("<>") ? "!=" : o;
      }
    }
    throw error("expected a comparison operator");
  }

  private String stringValue() {
    skipSpace();
    char c = peek();
    if (c != '\'' && c != '"') {
      throw error("expected a quoted string");
    }
    return quoted();
  }

  private long millis() {
    skipSpace();
    int start = pos;
    while (pos < src.length() && (Character.isDigit(peek()) || (pos == start && peek() == '-'))) {
      pos++;
    }
    try {
      return Long.parseLong(src.substring(start, pos));
    } catch (NumberFormatException e) {
      pos = start;
      throw error("expected a time in epoch milliseconds");
    }
  }
}
