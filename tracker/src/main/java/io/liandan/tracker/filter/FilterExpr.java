package io.liandan.tracker.filter;

import java.util.List;

/** The parsed form of a runs filter; {@link FilterCompiler} turns it into a jOOQ condition. */
public sealed interface FilterExpr {
  record And(FilterExpr left, FilterExpr right) implements FilterExpr {}

  record Or(FilterExpr left, FilterExpr right) implements FilterExpr {}

  record Not(FilterExpr inner) implements FilterExpr {}

  record Compare(FieldRef field, Op op, Literal value) implements FilterExpr {}

  record Contains(FieldRef field, Literal value) implements FilterExpr {}

  record In(FieldRef field, List<Literal> values) implements FilterExpr {}

  enum Op {
    EQ("="),
    NE("!="),
    LT("<"),
    LE("<="),
    GT(">"),
    GE(">=");

    final String symbol;

    Op(String symbol) {
      this.symbol = symbol;
    }
  }

  /** A run attribute, or a path into config / summary. */
  record FieldRef(Attr attr, List<String> path) {
    @Override
    public String toString() {
      return path.isEmpty() ? attr.names[0] : attr.names[0] + "." + String.join(".", path);
    }
  }

  enum Attr {
    ID("id"),
    STATE("state"),
    NAME("name"),
    KEY("key"),
    GROUP("group"),
    JOB_TYPE("job_type", "jobType"),
    NOTES("notes"),
    TAGS("tags"),
    CREATED_AT("created_at", "createdAt", "created"),
    UPDATED_AT("updated_at", "updatedAt", "updated"),
    CONFIG("config"),
    LABELS("labels"),
    SUMMARY("summary");

    final String[] names;

    Attr(String... names) {
      this.names = names;
    }

    boolean hasPath() {
      return this == CONFIG || this == SUMMARY || this == LABELS;
    }

    static Attr named(String s) {
      for (Attr a : values()) {
        for (String n : a.names) {
          if (n.equals(s)) {
            return a;
          }
        }
      }
      return null;
    }
  }

  sealed interface Literal {
    record Str(String value) implements Literal {}

    /** {@code text} keeps the literal as written, for comparisons with text columns. */
    record Num(double value, String text) implements Literal {}

    record Null() implements Literal {}
  }
}
