package io.liandan.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.tracker.Api.Response;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FilterApiTest extends ServerTest {
  static long lowLr;
  static long highLr;
  static long nested;
  static long evil;

  @BeforeAll
  static void createRuns() {
    lowLr =
        api.createRun(
            "{\"project\":\"f\",\"name\":\"low\",\"group\":\"pipe-1\",\"jobType\":\"sft\","
                + "\"config\":{\"learning_rate\":1e-6,\"model\":\"qwen\"},\"tags\":[\"sft\"]}");
    highLr =
        api.createRun(
            "{\"project\":\"f\",\"name\":\"high\",\"group\":\"pipe-1\",\"jobType\":\"dpo\","
                + "\"config\":{\"learning_rate\":3e-4,\"model\":\"llama\"},\"tags\":[\"dpo\",\"best\"]}");
    nested =
        api.createRun(
            "{\"project\":\"f\",\"name\":\"nested\",\"group\":\"pipe-2\","
                + "\"config\":{\"optimizer\":{\"lr\":2e-5,\"betas\":[0.9,0.95]},\"learning_rate\":\"n/a\"}}");
    evil =
        api.createRun(
            "{\"project\":\"f\",\"name\":\"'; drop table runs; --\",\"tags\":[\"'; drop table runs; --\"]}");
    api.patch("/api/v1/runs/" + highLr, "{\"state\":\"finished\",\"summary\":{\"eval/loss\":1.5}}");
    api.patch("/api/v1/runs/" + lowLr, "{\"state\":\"finished\"}");
    api.post(
        "/api/v1/runs/" + lowLr + "/metrics",
        "{\"points\":[{\"key\":\"eval/loss\",\"step\":1,\"value\":3.0},"
            + "{\"key\":\"eval/loss\",\"step\":2,\"value\":2.5}]}");
  }

  static Response query(String filter, String sort) {
    StringBuilder q = new StringBuilder("/api/v1/projects/f/runs?");
    if (filter != null) {
      // parentheses are legal in a query string: kept as they are, a deep filter fits in the URL
      String encoded =
          URLEncoder.encode(filter, StandardCharsets.UTF_8).replace("%28", "(").replace("%29", ")");
      q.append("filter=").append(encoded).append('&');
    }
    if (sort != null) {
      q.append("sort=").append(URLEncoder.encode(sort, StandardCharsets.UTF_8));
    }
    return api.get(q.toString());
  }

  static List<Long> ids(String filter) {
    return ids(filter, null);
  }

  static List<Long> ids(String filter, String sort) {
    Response r = query(filter, sort);
    assertEquals(200, r.status(), filter + " → " + r.body());
    List<Long> out = new ArrayList<>();
    r.json().get("runs").forEach(run -> out.add(run.get("id").asLong()));
    return out;
  }

  @Test
  void filtersByStateConfigTagsGroupAndSummary() {
    assertEquals(List.of(highLr), ids("config.learning_rate > 1e-5 and state = finished"));
    assertEquals(List.of(highLr, lowLr), ids("config.learning_rate > 0", "-config.learning_rate"));
    assertEquals(List.of(lowLr), ids("tags contains \"sft\""));
    assertEquals(List.of(highLr), ids("tags = best"));
    assertEquals(
        List.of(lowLr, highLr, nested), ids("group = \"pipe-1\" or group = 'pipe-2'", "id"));
    assertEquals(List.of(nested), ids("config.optimizer.lr = 2e-5"));
    assertEquals(List.of(nested), ids("config.optimizer.betas contains 0.95"));
    assertEquals(List.of(nested), ids("config.learning_rate = 'n/a'"), "a string is no number");
    // summary.K: the client's summary, else the metric's last value
    assertEquals(List.of(highLr), ids("summary.eval/loss < 2"));
    assertEquals(List.of(lowLr, highLr), ids("summary.eval/loss > 0", "-summary.eval/loss"));
    assertEquals(
        List.of(highLr), ids("(job_type = dpo or job_type = ppo) and not state = running"));
    assertEquals(List.of(evil, nested), ids("not state = finished"));
    assertEquals(List.of(highLr, lowLr), ids("state in (finished, failed)", "name"));
    assertEquals(List.of(evil, nested), ids("config.model = null"));
    assertEquals(List.of(evil, nested, lowLr), ids("config.model != llama"));
    assertEquals(
        List.of(highLr, lowLr),
        ids("(name contains 'igh' or name contains 'ow') and name != nested"));
    assertEquals(4, ids(null).size());
    assertEquals(
        4, ids("created_at > \"2020-01-01\" and created < \"2999-01-01T00:00:00Z\"").size());
  }

  @Test
  void injectionAttemptsAreJustLiterals() {
    String evilText = "'; drop table runs; --";
    // as a quoted value: a literal that matches only the run that has it
    assertEquals(List.of(evil), ids("tags contains \"" + evilText + "\""));
    assertEquals(List.of(evil), ids("name = \"" + evilText + "\""));
    assertEquals(List.of(), ids("group = \"" + evilText + "\""));
    assertEquals(List.of(), ids("config.\"x'); drop table runs; --\" > 1"));
    assertEquals(List.of(), ids("summary.\"'; drop table runs; --\" < 1"));
    // raw: a parse error, never SQL
    for (String raw :
        new String[] {
          evilText,
          "name = x'; drop table runs; --",
          "state = finished; drop table runs",
          "group = 1 or 1=1",
        }) {
      Response r = query(raw, null);
      assertEquals(400, r.status(), raw + " → " + r.body());
      assertEquals("filter", r.field());
    }
    Response sort = query(null, "name; drop table runs");
    assertEquals(400, sort.status(), sort.body());
    assertEquals("sort", sort.field());
    // every table is still there and the runs with it
    for (String table :
        new String[] {"runs", "projects", "metric_points", "metric_summaries", "api_tokens"}) {
      assertTrue(t.server.db().meta().getTables(table).size() == 1, table + " still exists");
    }
    assertEquals(4, ids(null).size());
  }

  @Test
  void badFiltersAre400sNamingTheProblem() {
    Response r = query("colour = red", null);
    assertEquals(400, r.status());
    assertEquals("filter", r.field());
    assertTrue(r.error().contains("unknown field 'colour'"), r.error());
    r = query("state = done", null);
    assertTrue(r.error().contains("unknown state 'done'"), r.error());
    r = query("id > abc", null);
    assertEquals(400, r.status());
    assertEquals(404, api.get("/api/v1/projects/nope/runs").status());
  }

  @Test
  void nestingIsBoundedAt400Levels() {
    String atom = "config.model = qwen";
    // at the limit the whole path (parser, SQL, PostgreSQL) answers
    String deepest =
        "(".repeat(Limits.MAX_FILTER_DEPTH) + atom + ")".repeat(Limits.MAX_FILTER_DEPTH);
    assertEquals(ids(atom), ids(deepest));
    String nots = "not not ".repeat(Limits.MAX_FILTER_DEPTH / 2) + atom;
    assertEquals(ids(atom), ids(nots));
    // past it (and far past: 2,000 levels overflowed the stack, a 500 with no body): a 400
    for (int depth : new int[] {Limits.MAX_FILTER_DEPTH + 1, 2_000}) {
      Response r = query("(".repeat(depth) + atom + ")".repeat(depth), null);
      assertEquals(400, r.status(), r.body());
      assertEquals("filter", r.field());
      assertTrue(r.error().contains("deeper than " + Limits.MAX_FILTER_DEPTH), r.error());
    }
    Response r = query("not ".repeat(1_000) + atom, null);
    assertEquals(400, r.status(), r.body());
    // a long flat chain is not nesting: the longest filter allowed still runs
    StringBuilder chain = new StringBuilder(atom);
    while (chain.length() + atom.length() + 5 <= Limits.MAX_FILTER_LENGTH) {
      chain.append(" and ").append(atom);
    }
    assertEquals(ids(atom), ids(chain.toString()));
  }
}
