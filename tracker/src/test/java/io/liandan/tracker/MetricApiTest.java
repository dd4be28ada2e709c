package io.liandan.tracker;

import static io.liandan.tracker.db.Tables.METRIC_POINTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.tracker.Api.Response;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.StringJoiner;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MetricApiTest extends ServerTest {
  /** Each test's own run in project "m", and its metrics path. */
  private long run;

  private String path;

  @BeforeEach
  void newRun() {
    run = api.createRun("{\"project\":\"m\"}");
    path = metricsPath(run);
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

  private static String metricsPath(long run) {
    return "/api/v1/runs/" + run + "/metrics";
  }

  /** A new run in {@code project} holding the points of {@code batches} (see {@link #batch}). */
  private static long runWith(String project, String... batches) {
    long id = api.createRun("{\"project\":\"" + project + "\"}");
    for (String b : batches) {
      api.post(metricsPath(id), b);
    }
    return id;
  }

  /** Every field of a series summary as {@code GET …/metrics/keys} returns it. */
  private static void assertSummary(
      JsonNode s,
      long firstStep,
      double first,
      long lastStep,
      double last,
      double min,
      double max,
      long count) {
    assertEquals(firstStep, s.get("firstStep").asLong(), "firstStep");
    assertEquals(first, s.get("first").asDouble(), "first");
    assertEquals(lastStep, s.get("lastStep").asLong(), "lastStep");
    assertEquals(last, s.get("last").asDouble(), "last");
    assertEquals(min, s.get("min").asDouble(), "min");
    assertEquals(max, s.get("max").asDouble(), "max");
    assertEquals(count, s.get("count").asLong(), "count");
  }

  @Test
  void timesTrueReturnsEachKeptPointsWallTimeInBothReadPaths() {
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
    assertEquals(200, api.post(path, j.toString()).status());
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
    Response first = api.post(path, batch("train/loss", 0, 100, 0.5));
    assertEquals(200, first.status(), first.body());
    assertEquals(100, first.json().get("inserted").asInt());

    Response again = api.post(path, batch("train/loss", 0, 100, 0.5));
    assertEquals(0, again.json().get("inserted").asInt());
    assertEquals(0, again.json().get("updated").asInt());
    assertEquals(100, stored(run, "train/loss"));
    assertSummary(summary(run, "train/loss"), 0, 0.5, 99, 99.5, 0.5, 99.5, 100);

    // a retried stage logs steps 50..149 with other values: the later values win, summary follows
    Response overlap = api.post(path, batch("train/loss", 50, 150, -100));
    assertEquals(50, overlap.json().get("inserted").asInt());
    assertEquals(50, overlap.json().get("updated").asInt());
    assertEquals(150, stored(run, "train/loss"));
    // max 49.5: step 99's old 99.5 was overwritten
    assertSummary(summary(run, "train/loss"), 0, 0.5, 149, 49.0, -50.0, 49.5, 150);
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
    api.post(path, batch("a", 10, 20, 0));
    api.post(path, batch("a", 0, 5, 100)); // earlier steps arrive later
    api.post(path, batch("system/cpu", 0, 3, 0));
    assertSummary(summary(run, "a"), 0, 100.0, 19, 19.0, 10.0, 104.0, 15);
    Response keys = api.get("/api/v1/runs/" + run + "/metrics/keys");
    assertEquals("[\"a\",\"system/cpu\"]", keys.json().get("keys").toString());
    // the run carries its series summaries too
    assertEquals(19.0, api.get("/api/v1/runs/" + run).json().at("/metrics/a/last").asDouble());
  }

  @Test
  void nanAndInfinityAreStoredAndReturnedAsStrings() {
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
    Response tooMany = api.post(path, batch("x", 0, Limits.MAX_POINTS_PER_BATCH + 1, 0));
    assertEquals(413, tooMany.status());
    assertEquals("points", tooMany.field());
    assertTrue(tooMany.error().contains("at most 10000"), tooMany.error());
    assertEquals(0, stored(run, "x"));

    byte[] big = new byte[(int) Limits.MAX_REQUEST_BYTES + 10];
    java.util.Arrays.fill(big, (byte) ' ');
    byte[] open = "{\"points\":[".getBytes(StandardCharsets.UTF_8);
    System.arraycopy(open, 0, big, 0, open.length);
    // the tracker reads the overage before it answers, so the client (still sending) gets the 413,
    // not a reset connection, whether the body's length is declared or it comes chunked
    for (Response tooBig : new Response[] {api.post(path, big), api.postStreamed(path, big)}) {
      assertEquals(413, tooBig.status(), tooBig.body());
      assertTrue(tooBig.error().contains("over the limit"), tooBig.error());
    }

    Response max = api.post(path, batch("x", 0, Limits.MAX_POINTS_PER_BATCH, 0));
    assertEquals(200, max.status(), max.body());
    assertEquals(Limits.MAX_POINTS_PER_BATCH, stored(run, "x"));
  }

  @Test
  void badPointsNameTheirField() {
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
    long a = runWith("cmp", batch("eval/loss", 0, 10, 0));
    long b = runWith("cmp", batch("eval/loss", 0, 500, 1));
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

  /**
   * The multi-key reads (one request for a page's charts) return, key by key, exactly what the
   * single-key reads return for the same maxPoints, times and step range.
   */
  @Test
  void seriesOfSeveralKeysEqualsTheSingleKeyReads() {
    long a = runWith("multi", batch("train/loss", 0, 5000, 0), batch("eval/loss", 0, 40, 0.5));
    // "a,b" is one key: keys may hold commas, so each key is its own parameter
    long b = runWith("multi", batch("train/loss", 0, 300, 2), batch("a,b", 0, 3, 0));
    String k = "&key=train/loss&key=eval/loss&key=never-logged&key=a%2Cb";
    for (String opts :
        new String[] {"maxPoints=100", "maxPoints=100&times=true&from=1000&to=1999"}) {
      Response one = api.get("/api/v1/runs/" + a + "/metrics/series?" + opts + k);
      assertEquals(200, one.status(), one.body());
      assertEquals(a, one.json().get("runId").asLong());
      JsonNode series = one.json().get("series");
      assertEquals(4, series.size());
      String[] keys = {"train/loss", "eval/loss", "never-logged", "a,b"};
      for (int i = 0; i < keys.length; i++) {
        String single = "/api/v1/runs/" + a + "/metrics?" + opts + "&key=" + enc(keys[i]);
        assertEquals(api.get(single).json(), series.get(i), keys[i] + " " + opts);
      }
      assertTrue(series.get(0).get("points").size() <= 100);
      assertEquals(0, series.get(2).get("total").asInt());

      Response many = api.get("/api/v1/metrics/series?runs=" + a + "," + b + "&" + opts + k);
      assertEquals(200, many.status(), many.body());
      JsonNode byKey = many.json().get("series");
      assertEquals(4, byKey.size());
      for (int i = 0; i < keys.length; i++) {
        assertEquals(keys[i], byKey.get(i).get("key").asText());
        String single = "/api/v1/metrics?runs=" + a + "," + b + "&" + opts + "&key=" + enc(keys[i]);
        assertEquals(api.get(single).json().get("runs"), byKey.get(i).get("runs"), keys[i]);
      }
      assertEquals(b, byKey.get(3).at("/runs/1/runId").asLong());
    }
    // a key asked twice comes back once
    assertEquals(
        1,
        api.get("/api/v1/runs/" + a + "/metrics/series?key=eval/loss&key=eval/loss")
            .json()
            .get("series")
            .size());
  }

  @Test
  void badMultiKeyReadsAreRejectedNamingTheField() {
    long a = api.createRun("{\"project\":\"multi-bad\"}");
    String run = "/api/v1/runs/" + a + "/metrics/series";
    assertBad(api.get(run), "key"); // no key
    assertBad(api.get(run + "?key=%20"), "key"); // a blank one
    assertBad(api.get(run + "?key=" + "x".repeat(Limits.MAX_KEY_LENGTH + 1)), "key");
    StringBuilder tooMany = new StringBuilder(run + "?maxPoints=10");
    for (int i = 0; i <= Limits.MAX_SERIES_KEYS; i++) {
      tooMany.append("&key=k").append(i);
    }
    Response r = api.get(tooMany.toString());
    assertBad(r, "key");
    assertTrue(r.error().contains("at most " + Limits.MAX_SERIES_KEYS), r.error());
    assertBad(api.get(run + "?key=a&maxPoints=1"), "maxPoints");
    assertBad(api.get(run + "?key=a&from=10&to=5"), "to");
    assertBad(api.get(run + "?key=a&times=maybe"), "times");
    assertEquals(404, api.get("/api/v1/runs/999999/metrics/series?key=a").status());

    String cmp = "/api/v1/metrics/series?runs=" + a;
    assertBad(api.get("/api/v1/metrics/series?key=a"), "runs");
    assertBad(api.get(cmp), "key");
    // 100 runs allow 1,000 / 100 = 10 keys (checked before the runs are looked up), and 10 keys
    // of 100 runs at 20,000 points each would be 20,000,000 points, over MAX_READ_POINTS
    StringBuilder hundred = new StringBuilder("/api/v1/metrics/series?runs=" + a);
    for (int i = 1; i < Limits.MAX_COMPARE_RUNS; i++) {
      hundred.append(",").append(1_000_000 + i);
    }
    int allowed = Limits.MAX_SERIES_PER_READ / Limits.MAX_COMPARE_RUNS;
    for (int i = 0; i < allowed; i++) {
      hundred.append("&key=k").append(i);
    }
    r = api.get(hundred + "&key=one-more&maxPoints=10");
    assertBad(r, "key");
    assertTrue(r.error().contains("for " + Limits.MAX_COMPARE_RUNS + " runs"), r.error());
    assertBad(api.get(hundred + "&maxPoints=20000"), "maxPoints");
    assertEquals(404, api.get(hundred + "&maxPoints=10").status()); // within limits: 999 unknown
    Response unknown = api.get(cmp + ",999999&key=a");
    assertEquals(404, unknown.status());
    assertEquals("runs", unknown.field());
  }

  private static void assertBad(Response r, String field) {
    assertEquals(400, r.status(), r.body());
    assertEquals(field, r.field(), r.body());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
