package io.liandan.tracker;

import static io.liandan.tracker.db.Tables.RUNS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.tracker.Api.Response;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.Test;

class RunApiTest extends ServerTest {
  @Test
  void createsThenResumesByKey() {
    String body =
        """
        {"project":"demo","key":"wf-1/sft","name":"sft","group":"wf-1","jobType":"sft",
         "config":{"optimizer":{"lr":2e-5},"epochs":3},"tags":["sft","qwen"],
         "workflowId":"wf-1","activityId":"7"}""";
    Response created = api.post("/api/v1/runs", body);
    assertEquals(201, created.status(), created.body());
    long id = created.json().get("id").asLong();
    assertEquals("running", created.json().get("state").asText());
    assertEquals("demo", created.json().get("project").asText());
    assertEquals(2e-5, created.json().at("/config/optimizer/lr").asDouble());
    assertEquals("qwen", created.json().at("/tags/1").asText());
    assertEquals("wf-1", created.json().get("workflowId").asText());
    assertEquals(0, created.json().get("resumedAt").size());

    assertEquals(
        200,
        api.patch(
                "/api/v1/runs/" + id,
                "{\"state\":\"failed\",\"summary\":{\"failure\":\"cancelled\",\"best\":1}}")
            .status());
    Response resumed =
        api.post("/api/v1/runs", body.replace("\"sft\",\"group\"", "\"x\",\"group\""));
    assertEquals(200, resumed.status(), resumed.body());
    assertEquals(id, resumed.json().get("id").asLong());
    assertEquals("running", resumed.json().get("state").asText());
    assertEquals("sft", resumed.json().get("name").asText(), "a resume keeps the stored run");
    assertTrue(resumed.json().get("finishedAt").isNull());
    assertEquals(1, resumed.json().get("resumedAt").size(), "each resume is recorded");
    assertTrue(
        resumed.json().at("/summary/failure").isMissingNode(),
        "a new attempt clears the last one's failure note: " + resumed.body());
    assertEquals(1, resumed.json().at("/summary/best").asInt(), "the rest of the summary stays");

    // same key in another project, or no key: new runs
    assertNotEquals(id, api.createRun("{\"project\":\"other\",\"key\":\"wf-1/sft\"}"));
    long a = api.createRun("{\"project\":\"demo\"}");
    long b = api.createRun("{\"project\":\"demo\"}");
    assertNotEquals(a, b);
  }

  @Test
  void aResumeFromAnotherPipelineMovesTheRunThereAndJoinsTheTags() {
    String first =
        """
        {"project":"moves","key":"sft/5eed","name":"p1-sft","group":"p1","jobType":"sft",
         "config":{"lr":1},"tags":["pipeline:p1","stage:sft"],"workflowId":"p1","activityId":"7"}""";
    long id = api.createRun(first);
    Response resumed =
        api.post(
            "/api/v1/runs",
            first
                .replace("\"group\":\"p1\"", "\"group\":\"p2\"")
                .replace("\"workflowId\":\"p1\"", "\"workflowId\":\"p2\"")
                .replace("\"pipeline:p1\"", "\"pipeline:p2\"")
                .replace("\"lr\":1", "\"lr\":2"));
    assertEquals(200, resumed.status(), resumed.body());
    assertEquals(id, resumed.json().get("id").asLong());
    assertEquals("p2", resumed.json().get("group").asText(), "the pipeline that resumed it");
    assertEquals("p2", resumed.json().get("workflowId").asText());
    assertEquals("p1-sft", resumed.json().get("name").asText());
    assertEquals(1, resumed.json().at("/config/lr").asInt(), "config stays the stored one");
    assertEquals(
        "[\"pipeline:p1\",\"stage:sft\",\"pipeline:p2\"]",
        resumed.json().get("tags").toString(),
        "stored tags first, the new one after, none twice");

    // a resume that names no group or workflow keeps them; no tags: the stored ones
    Response bare = api.post("/api/v1/runs", "{\"project\":\"moves\",\"key\":\"sft/5eed\"}");
    assertEquals("p2", bare.json().get("group").asText(), bare.body());
    assertEquals("p2", bare.json().get("workflowId").asText());
    assertEquals(3, bare.json().get("tags").size());

    // tags past the limit: the stored ones stay as they are
    StringBuilder many = new StringBuilder("[");
    for (int i = 0; i < Limits.MAX_TAGS; i++)
      many.append(i == 0 ? "" : ",").append("\"t" + i + "\"");
    Response full =
        api.post(
            "/api/v1/runs", "{\"project\":\"moves\",\"key\":\"sft/5eed\",\"tags\":" + many + "]}");
    assertEquals(200, full.status(), full.body());
    assertEquals(3, full.json().get("tags").size(), full.body());
  }

  @Test
  void patchMergesSummaryAndFinishes() {
    long id = api.createRun("{\"project\":\"patch\",\"config\":{\"a\":1}}");
    Response r =
        api.patch(
            "/api/v1/runs/" + id,
            "{\"summary\":{\"best/loss\":1.5},\"config\":{\"b\":2},\"notes\":\"hi\"}");
    assertEquals(200, r.status(), r.body());
    r =
        api.patch(
            "/api/v1/runs/" + id,
            "{\"summary\":{\"acc\":0.9},\"state\":\"finished\",\"tags\":[\"t\"]}");
    assertEquals(1.5, r.json().at("/summary/best~1loss").asDouble());
    assertEquals(0.9, r.json().at("/summary/acc").asDouble());
    assertEquals(1, r.json().at("/config/a").asInt());
    assertEquals(2, r.json().at("/config/b").asInt());
    assertEquals("finished", r.json().get("state").asText());
    assertFalse(r.json().get("finishedAt").isNull());
    assertEquals("hi", r.json().get("notes").asText());
    assertEquals("t", r.json().at("/tags/0").asText());
    assertEquals(r.body(), api.get("/api/v1/runs/" + id).body());
  }

  @Test
  void unknownRunIs404() {
    Response r = api.get("/api/v1/runs/999999");
    assertEquals(404, r.status());
    assertEquals("no run with id 999999", r.error());
    assertEquals("id", r.field());
    assertEquals(404, api.patch("/api/v1/runs/999999", "{}").status());
    assertEquals(404, api.post("/api/v1/runs/999999/metrics", "{\"points\":[]}").status());
    Response bad = api.get("/api/v1/runs/abc");
    assertEquals(400, bad.status());
    assertEquals("id", bad.field());
    Response noRoute = api.get("/api/v1/nothing-here");
    assertEquals(404, noRoute.status());
    assertTrue(noRoute.error().contains("/api/v1/nothing-here"), noRoute.body());
  }

  /** GET /runs?ids=: the compare view's runs in one request, as GET /runs/{id} returns each. */
  @Test
  void runsByIdsComeInTheOrderAskedFromAnyProject() {
    long a = api.createRun("{\"project\":\"by-ids\",\"config\":{\"lr\":1}}");
    long b = api.createRun("{\"project\":\"by-ids-other\"}");
    api.post(
        "/api/v1/runs/" + a + "/metrics",
        "{\"points\":[{\"key\":\"loss\",\"step\":0,\"value\":2}]}");
    Response r = api.get("/api/v1/runs?ids=" + b + "," + a + ",%20" + b);
    assertEquals(200, r.status(), r.body());
    var runs = r.json().get("runs");
    assertEquals(2, runs.size(), "an id asked twice comes back once");
    assertEquals(api.get("/api/v1/runs/" + b).json(), runs.get(0));
    assertEquals(api.get("/api/v1/runs/" + a).json(), runs.get(1));
    assertEquals(1, runs.get(1).at("/metrics/loss/count").asInt());
  }

  @Test
  void badRunsByIdsAreRejectedNamingTheField() {
    long a = api.createRun("{\"project\":\"by-ids-bad\"}");
    for (String q : new String[] {"", "?ids=", "?ids=%20", "?ids=1,x", "?ids=1,,2", "?ids=1.5"}) {
      Response r = api.get("/api/v1/runs" + q);
      assertEquals(400, r.status(), q + " " + r.body());
      assertEquals("ids", r.field(), q);
    }
    StringBuilder tooMany = new StringBuilder("/api/v1/runs?ids=" + a);
    for (int i = 1; i <= Limits.MAX_COMPARE_RUNS; i++) {
      tooMany.append(",").append(1_000_000 + i);
    }
    Response r = api.get(tooMany.toString());
    assertEquals(400, r.status(), r.body());
    assertTrue(r.error().contains("at most " + Limits.MAX_COMPARE_RUNS), r.error());
    Response unknown = api.get("/api/v1/runs?ids=" + a + ",999999");
    assertEquals(404, unknown.status());
    assertEquals("no run with id 999999", unknown.error());
    assertEquals("ids", unknown.field());
  }

  @Test
  void badRequestsNameTheProblem() {
    Response malformed = api.post("/api/v1/runs", "{\"project\": \"x\",");
    assertEquals(400, malformed.status());
    assertTrue(malformed.error().startsWith("malformed JSON"), malformed.error());

    Response empty = api.post("/api/v1/runs", "");
    assertEquals(400, empty.status());

    Response missing = api.post("/api/v1/runs", "{\"name\":\"x\"}");
    assertEquals(400, missing.status());
    assertEquals("project", missing.field());

    Response unknown = api.post("/api/v1/runs", "{\"project\":\"x\",\"colour\":\"red\"}");
    assertEquals(400, unknown.status());
    assertEquals("colour", unknown.field());

    Response wrongType = api.post("/api/v1/runs", "{\"project\":\"x\",\"tags\":\"sft\"}");
    assertEquals(400, wrongType.status(), wrongType.body());
    assertEquals("tags", wrongType.field());

    Response notObject = api.post("/api/v1/runs", "{\"project\":\"x\",\"config\":[1]}");
    assertEquals(400, notObject.status());
    assertEquals("config", notObject.field());

    long id = api.createRun("{\"project\":\"x\"}");
    Response state = api.patch("/api/v1/runs/" + id, "{\"state\":\"done\"}");
    assertEquals(400, state.status());
    assertEquals("state", state.field());
  }

  @Test
  void staleHeartbeatShowsCrashedUntilTheRunWritesAgain() {
    long id = api.createRun("{\"project\":\"crash\",\"key\":\"k\"}");
    t.server
        .db()
        .update(RUNS)
        .set(RUNS.HEARTBEAT_AT, OffsetDateTime.now().minusHours(1))
        .where(RUNS.ID.eq(id))
        .execute();
    assertEquals("crashed", api.get("/api/v1/runs/" + id).json().get("state").asText());
    Response list = api.get("/api/v1/projects/crash/runs?filter=state%20%3D%20crashed");
    assertEquals(1, list.json().get("runs").size(), list.body());
    // a heartbeat (any write) revives it
    api.post(
        "/api/v1/runs/" + id + "/metrics",
        "{\"points\":[{\"key\":\"loss\",\"step\":1,\"value\":1}]}");
    assertEquals("running", api.get("/api/v1/runs/" + id).json().get("state").asText());
    // a finished run never shows as crashed
    t.server
        .db()
        .update(RUNS)
        .set(RUNS.STATE, "finished")
        .set(RUNS.HEARTBEAT_AT, OffsetDateTime.now().minusHours(1))
        .where(RUNS.ID.eq(id))
        .execute();
    assertEquals("finished", api.get("/api/v1/runs/" + id).json().get("state").asText());
  }

  @Test
  void projectsListCountsRuns() {
    api.createRun("{\"project\":\"p-count\"}");
    api.createRun("{\"project\":\"p-count\"}");
    Response r = api.get("/api/v1/projects");
    assertEquals(200, r.status());
    boolean found = false;
    for (var p : r.json().get("projects")) {
      if (p.get("name").asText().equals("p-count")) {
        assertEquals(2, p.get("runs").asInt());
        found = true;
      }
    }
    assertTrue(found, r.body());
  }
}
