package io.liandan.tracker.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.tracker.filter.FilterExpr.And;
import io.liandan.tracker.filter.FilterExpr.Attr;
import io.liandan.tracker.filter.FilterExpr.Compare;
import io.liandan.tracker.filter.FilterExpr.Contains;
import io.liandan.tracker.filter.FilterExpr.FieldRef;
import io.liandan.tracker.filter.FilterExpr.In;
import io.liandan.tracker.filter.FilterExpr.Literal;
import io.liandan.tracker.filter.FilterExpr.Not;
import io.liandan.tracker.filter.FilterExpr.Op;
import io.liandan.tracker.filter.FilterExpr.Or;
import java.util.List;
import org.junit.jupiter.api.Test;

class FilterParserTest {
  @Test
  void parsesComparisonsWithPrecedence() {
    FilterExpr e =
        FilterParser.parse(
            "config.learning_rate > 1e-5 and state = finished or not tags contains 'sft'");
    Or or = (Or) e;
    And and = (And) or.left();
    Compare lr = (Compare) and.left();
    assertEquals(new FieldRef(Attr.CONFIG, List.of("learning_rate")), lr.field());
    assertEquals(Op.GT, lr.op());
    assertEquals(1e-5, ((Literal.Num) lr.value()).value());
    assertEquals(new Literal.Str("finished"), ((Compare) and.right()).value());
    Contains tags = (Contains) ((Not) or.right()).inner();
    assertEquals(new Literal.Str("sft"), tags.value());
  }

  @Test
  void parsesPathsParenthesesAndLiterals() {
    Compare c = (Compare) FilterParser.parse("summary.eval/loss < 2");
    assertEquals(List.of("eval/loss"), c.field().path());
    c = (Compare) FilterParser.parse("config.optimizer.\"beta 1\" >= -0.5");
    assertEquals(List.of("optimizer", "beta 1"), c.field().path());
    assertEquals(-0.5, ((Literal.Num) c.value()).value());
    c = (Compare) FilterParser.parse("summary.loss = NaN");
    assertTrue(Double.isNaN(((Literal.Num) c.value()).value()));
    c = (Compare) FilterParser.parse("summary.loss != -Infinity");
    assertEquals(Double.NEGATIVE_INFINITY, ((Literal.Num) c.value()).value());
    c = (Compare) FilterParser.parse("GROUP = \"pipe-1\"".replace("GROUP", "group"));
    assertEquals(new Literal.Str("pipe-1"), c.value());
    c = (Compare) FilterParser.parse("notes == null");
    assertEquals(new Literal.Null(), c.value());
    And and = (And) FilterParser.parse("(group = a or group = b) AND jobType = sft");
    assertTrue(and.left() instanceof Or);
    In in = (In) FilterParser.parse("state in (finished, 'failed')");
    assertEquals(2, in.values().size());
    Compare esc = (Compare) FilterParser.parse("name = 'it\\'s'");
    assertEquals(new Literal.Str("it's"), esc.value());
    assertNull(FilterParser.parse("  "));
  }

  @Test
  void rejectsNonsenseWithAPosition() {
    for (String bad :
        new String[] {
          "colour = red",
          "config > 1",
          "state finished",
          "state = ",
          "(state = finished",
          "state = finished)",
          "name = 'unterminated",
          "config.x > 1.2.3",
          "state = finished and",
          "'; drop table runs; --",
          "name = x; drop table runs",
        }) {
      FilterException e = assertThrows(FilterException.class, () -> FilterParser.parse(bad), bad);
      assertTrue(e.getMessage().contains("position"), e.getMessage());
    }
  }
}
