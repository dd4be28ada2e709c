package io.liandan.tracker;

import static io.liandan.tracker.db.Tables.METRIC_POINTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.tracker.Api.Response;
import java.nio.charset.StandardCharsets;
import java.util.StringJoiner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MetricApiTest {
  static TestServer t;
  static Api api;

  @BeforeAll
  static void start() {
    t = TestServer.start();
    api = t.api;
  }

  @AfterAll
  static void stop() {
    t.close();
  }

  static String batch(String key, int fromStep, int toStep, double offset) {
    StringJoiner j = new StringJoiner(",", "{\"points\":[", "]}");
    for (int s = fromStep; s < toStep; s++) {
      j.add("{\"key\":\"" + key + "\",\"step\":" + s + ",\"value\":" + (s + offset) + "}");
    }
    return j.toString();
  }

  private long stored(long run, String key) {
    return t.server
        .db()
        .fetchCount(METRIC_POINTS, METRIC_POINTS.RUN_ID.eq(run).and(METRIC_POINTS.KEY.eq(key)));
  }

  private JsonNode summary(long run, String key) {
    return api.get("/api/v1/runs/" + run + "/metrics/keys").json().get("summaries").get(key);
  }

  @Test
  void timesTrueReturnsEachKeptPointsWallTimeInBothReadPaths() {
    long run = api.createRun("{\"project\":\"m\"}");
    StringJoiner j = new StringJoiner(",", "{\"points\":[", "]}");
    for (int s = 0; s < 5000; s++) {
      // wall time = 1,700,000,000 s + 2 s per step, so every step's time is known
      j.add(
          "{\"key\":\"w\",\"step\":"
              + s
              + ",\"value\":"
              + (s % 7)
              + ",\"time\":"
              + (1_700_000_000L + 2L * s)
              + "}");
    }
    assertEquals(200, api.post("/api/v1/runs/" + run + "/metrics", j.toString()).status());
    for (int maxPoints : new int[] {100, 10_000}) { // downsampled, and whole
      JsonNode s =
          api.get("/api/v1/runs/" + run + "/metrics?key=w&times=true&maxPoints=" + maxPoints)
              .json();
      JsonNode points = s.get("points");
      JsonNode times = s.get("times");
      assertEquals(points.size(), times.size());
      assertTrue(points.size() <= maxPoints);
      for (int i = 0; i < points.size(); i++) {
        long step = points.get(i).get(0).asLong();
        assertEquals((1_700_000_000L + 2 * step) * 1000, times.get(i).asLong(), "step " + step);
      }
    }
    assertTrue(
        api.get("/api/v1/runs/" + run + "/metrics?key=w").json().path("times").isMissingNode());
    JsonNode compared =
        api.get("/api/v1/metrics?runs=" + run + "&key=w&times=true&maxPoints=10").json();
    assertEquals(1_700_000_000_000L, compared.get("runs").get(0).get("times").get(0).asLong());
    Response bad = api.get("/api/v1/runs/" + run + "/metrics?key=w&times=yes");
    assertEquals(400, bad.status());
    assertEquals("times", bad.field());
  }

  @Test
  void resendingABatchStoresEachPointOnceAndTheLaterValueWins() {
    long run = api.createRun("{\"project\":\"m\"}");
    String path = "/api/v1/runs/" + run + "/metrics";
    Response first = api.post(path, batch("train/loss", 0, 100, 0.5));
    assertEquals(200, first.status(), first.body());
    assertEquals(100, first.json().get("inserted").asInt());

    Response again = api.post(path, batch("train/loss", 0, 100, 0.5));
    assertEquals(0, again.json().get("inserted").asInt());
    assertEquals(0, again.json().get("updated").asInt());
    assertEquals(100, stored(run, "train/loss"));
    JsonNode s = summary(run, "train/loss");
    assertEquals(100, s.get("count").asInt());
    assertEquals(0.5, s.get("min").asDouble());
    assertEquals(99.5, s.get("max").asDouble());
    assertEquals(0.5, s.get("first").asDouble());
    assertEquals(99.5, s.get("last").asDouble());
    assertEquals(99, s.get("lastStep").asInt());

    // a retried stage logs steps 50..149 with other values: the later values win, summary follows
    Response overlap = api.post(path, batch("train/loss", 50, 150, -100));
    assertEquals(50, overlap.json().get("inserted").asInt());
    assertEquals(50, overlap.json().get("updated").asInt());
    assertEquals(150, stored(run, "train/loss"));
    s = summary(run, "train/loss");
    assertEquals(150, s.get("count").asInt());
    assertEquals(-50.0, s.get("min").asDouble());
    assertEquals(49.5, s.get("max").asDouble(), "step 99's old 99.5 was overwritten");
    assertEquals(49.0, s.get("last").asDouble());
    assertEquals(149, s.get("lastStep").asInt());
    Response series = api.get(path + "?key=train/loss&maxPoints=1000");
    assertEquals(150, series.json().get("points").size());
    assertEquals(-50.0, series.json().at("/points/50/1").asDouble());

    // inside one batch the later duplicate wins
    api.post(
        path,
        "{\"points\":[{\"key\":\"dup\",\"step\":1,\"value\":1},{\"key\":\"dup\",\"step\":1,\"value\":2}]}");
    assertEquals(2.0, api.get(path + "?key=dup").json().at("/points/0/1").asDouble());
    assertEquals(1, summary(run, "dup").get("count").asInt());
  }

  @Test
  void summariesMergeAcrossBatchesAndKeys() {
    long run = api.createRun("{\"project\":\"m\"}");
    String path = "/api/v1/runs/" + run + "/metrics";
    api.post(path, batch("a", 10, 20, 0));
    api.post(path, batch("a", 0, 5, 100)); // earlier steps arrive later
    api.post(path, batch("system/cpu", 0, 3, 0));
    JsonNode s = summary(run, "a");
    assertEquals(15, s.get("count").asInt());
    assertEquals(0, s.get("firstStep").asInt());
    assertEquals(100.0, s.get("first").asDouble());
    assertEquals(19, s.get("lastStep").asInt());
    assertEquals(19.0, s.get("last").asDouble());
    assertEquals(10.0, s.get("min").asDouble());
    assertEquals(104.0, s.get("max").asDouble());
    Response keys = api.get("/api/v1/runs/" + run + "/metrics/keys");
    assertEquals("[\"a\",\"system/cpu\"]", keys.json().get("keys").toString());
    // the run carries its series summaries too
    assertEquals(19.0, api.get("/api/v1/runs/" + run).json().at("/metrics/a/last").asDouble());
  }

  @Test
  void nanAndInfinityAreStoredAndReturnedAsStrings() {
    long run = api.createRun("{\"project\":\"m\"}");
    String path = "/api/v1/runs/" + run + "/metrics";
    Response r =
        api.post(
            path,
            """
            {"points":[{"key":"loss","step":0,"value":2.0},
                       {"key":"loss","step":1,"value":"NaN"},
                       {"key":"loss","step":2,"value":Infinity},
                       {"key":"loss","step":3,"value":"-Infinity"},
                       {"key":"loss","step":4,"value":NaN}]}""");
    assertEquals(200, r.status(), r.body());
    Response series = api.get(path + "?key=loss");
    assertEquals(
        "[[0,2.0],[1,\"NaN\"],[2,\"Infinity\"],[3,\"-Infinity\"],[4,\"NaN\"]]",
        series.json().get("points").toString());
    JsonNode s = summary(run, "loss");
    assertEquals("NaN", s.get("last").asText());
    assertEquals("-Infinity", s.get("min").asText(), "min/max ignore NaN, keep infinities");
    assertEquals("Infinity", s.get("max").asText());
    // resending NaN is not a change (NaN equals NaN in PostgreSQL)
    Response again =
        api.post(path, "{\"points\":[{\"key\":\"loss\",\"step\":1,\"value\":\"NaN\"}]}");
    assertEquals(0, again.json().get("updated").asInt());
  }

  @Test
  void hugeBatchesAreRejectedWith413() {
    long run = api.createRun("{\"project\":\"m\"}");
    String path = "/api/v1/runs/" + run + "/metrics";
    Response tooMany = api.post(path, batch("x", 0, Limits.MAX_POINTS_PER_BATCH + 1, 0));
    assertEquals(413, tooMany.status());
    assertEquals("points", tooMany.field());
    assertTrue(tooMany.error().contains("at most 10000"), tooMany.error());
    assertEquals(0, stored(run, "x"));

    byte[] big = new byte[(int) Limits.MAX_REQUEST_BYTES + 10];
    java.util.Arrays.fill(big, (byte) ' ');
    byte[] open = "{\"points\":[".getBytes(StandardCharsets.UTF_8);
    System.arraycopy(open, 0, big, 0, open.length);
    Response tooBig = api.post(path, big);
    assertEquals(413, tooBig.status(), tooBig.body());
    assertTrue(tooBig.error().contains("over the limit"), tooBig.error());

    Response max = api.post(path, batch("x", 0, Limits.MAX_POINTS_PER_BATCH, 0));
    assertEquals(200, max.status(), max.body());
    assertEquals(Limits.MAX_POINTS_PER_BATCH, stored(run, "x"));
  }

  @Test
  void badPointsNameTheirField() {
    long run = api.createRun("{\"project\":\"m\"}");
    String path = "/api/v1/runs/" + run + "/metrics";
    Response noValue =
        api.post(
            path,
            "{\"points\":[{\"key\":\"a\",\"step\":1,\"value\":1},{\"key\":\"a\",\"step\":2}]}");
    assertEquals(400, noValue.status());
    assertEquals("points[1].value", noValue.field());
    Response badValue =
        api.post(path, "{\"points\":[{\"key\":\"a\",\"step\":1,\"value\":\"high\"}]}");
    assertEquals(400, badValue.status(), badValue.body());
    assertEquals("points[0].value", badValue.field());
    Response badTime =
        api.post(path, "{\"points\":[{\"key\":\"a\",\"step\":1,\"value\":1,\"time\":\"noon\"}]}");
    assertEquals("points[0].time", badTime.field());
    Response noKey = api.post(path, "{\"points\":[{\"step\":1,\"value\":1}]}");
    assertEquals("points[0].key", noKey.field());
    Response bigStep =
        api.post(path, "{\"points\":[{\"key\":\"a\",\"step\":9007199254740993,\"value\":1}]}");
    assertEquals("points[0].step", bigStep.field());
    assertEquals(0, stored(run, "a"));
    Response withTimes =
        api.post(
            path,
            "{\"points\":[{\"key\":\"a\",\"step\":1,\"value\":1,\"time\":\"2026-01-31T12:00:00Z\"},"
                + "{\"key\":\"a\",\"step\":2,\"value\":1,\"time\":1769860800.5}]}");
    assertEquals(200, withTimes.status(), withTimes.body());
  }

  @Test
  void compareReturnsOneSeriesPerRun() {
    long a = api.createRun("{\"project\":\"cmp\"}");
    long b = api.createRun("{\"project\":\"cmp\"}");
    api.post("/api/v1/runs/" + a + "/metrics", batch("eval/loss", 0, 10, 0));
    api.post("/api/v1/runs/" + b + "/metrics", batch("eval/loss", 0, 500, 1));
    Response r = api.get("/api/v1/metrics?runs=" + a + "," + b + "&key=eval/loss&maxPoints=50");
    assertEquals(200, r.status(), r.body());
    assertEquals(a, r.json().at("/runs/0/runId").asLong());
    assertEquals(10, r.json().at("/runs/0/points").size());
    assertEquals(500, r.json().at("/runs/1/total").asInt());
    assertTrue(r.json().at("/runs/1/points").size() <= 50);
    Response unknown = api.get("/api/v1/metrics?runs=" + a + ",999999&key=eval/loss");
    assertEquals(404, unknown.status());
    assertEquals("runs", unknown.field());
    Response noKey = api.get("/api/v1/metrics?runs=" + a);
    assertEquals(400, noKey.status());
    assertEquals("key", noKey.field());
    Response never = api.get("/api/v1/runs/" + a + "/metrics?key=never-logged");
    assertEquals(200, never.status());
    assertEquals(0, never.json().get("points").size());
  }
}
