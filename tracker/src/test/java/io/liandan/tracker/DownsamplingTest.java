package io.liandan.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.tracker.Api.Response;
import java.util.StringJoiner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DownsamplingTest extends ServerTest {
  static long run;
  static final int N = 20_000;
  static final int SPIKE_STEP = 12_345;

  static double value(int s) {
    return s == SPIKE_STEP ? 50.0 : s == 777 ? -3.0 : 2.0 / (1 + s / 1000.0);
  }

  /** A smooth decaying loss over steps 0..N-1 with one spike and one dip. */
  @BeforeAll
  static void createRuns() {
    run = api.createRun("{\"project\":\"ds\"}");
    for (int from = 0; from < N; from += 10_000) {
      StringJoiner j = new StringJoiner(",", "{\"points\":[", "]}");
      for (int s = from; s < from + 10_000; s++) {
        j.add("{\"key\":\"loss\",\"step\":" + s + ",\"value\":" + value(s) + "}");
      }
      assertEquals(200, api.post("/api/v1/runs/" + run + "/metrics", j.toString()).status());
    }
  }

  private JsonNode points(int maxPoints) {
    Response r = api.get("/api/v1/runs/" + run + "/metrics?key=loss&maxPoints=" + maxPoints);
    assertEquals(200, r.status(), r.body());
    assertEquals("loss", r.json().get("key").asText());
    assertEquals(N, r.json().get("total").asInt());
    return r.json().get("points");
  }

  @Test
  void aStepRangeIsDownsampledOnItsOwnAndComesBackWholeWhenSmall() {
    String base = "/api/v1/runs/" + run + "/metrics?key=loss";
    // zoomed around the spike: 3,000 steps → 200 points, the range's ends and the spike kept
    JsonNode p = api.get(base + "&maxPoints=200&from=11000&to=13999").json().get("points");
    assertTrue(p.size() <= 200 && p.size() > 100, String.valueOf(p.size()));
    assertEquals(11_000, p.get(0).get(0).asInt());
    assertEquals(13_999, p.get(p.size() - 1).get(0).asInt());
    boolean spike = false;
    for (JsonNode point : p) {
      int step = point.get(0).asInt();
      assertTrue(step >= 11_000 && step <= 13_999, "step " + step + " outside the range");
      assertEquals(value(step), point.get(1).asDouble(), 1e-12);
      spike |= step == SPIKE_STEP;
    }
    assertTrue(spike, "the spike inside the range survives");
    // a range of at most maxPoints points: every point, exactly
    p = api.get(base + "&maxPoints=200&from=500&to=599").json().get("points");
    assertEquals(100, p.size());
    assertEquals(500, p.get(0).get(0).asInt());
    assertEquals(599, p.get(99).get(0).asInt());
    // open ends, and a range past the history
    p = api.get(base + "&maxPoints=1000&from=19950").json().get("points");
    assertEquals(50, p.size());
    assertEquals(0, api.get(base + "&from=30000&to=40000").json().get("points").size());
    Response bad = api.get(base + "&from=10&to=5");
    assertEquals(400, bad.status());
    assertEquals("to", bad.field());
    assertEquals("from", api.get(base + "&from=x").field());
  }

  @Test
  void keepsSpikesFirstAndLastWithinTheLimit() {
    for (int max : new int[] {2, 3, 4, 10, 101, 1000, 5000}) {
      JsonNode p = points(max);
      assertTrue(p.size() <= max, max + " → " + p.size());
      assertEquals(0, p.get(0).get(0).asInt(), "first point");
      assertEquals(2.0, p.get(0).get(1).asDouble());
      assertEquals(N - 1, p.get(p.size() - 1).get(0).asInt(), "last point");
      long previous = -1;
      boolean spike = false;
      boolean dip = false;
      for (JsonNode point : p) {
        assertTrue(point.get(0).asLong() > previous, "steps ascend");
        previous = point.get(0).asLong();
        assertEquals(value(point.get(0).asInt()), point.get(1).asDouble(), "a stored point");
        spike |= point.get(0).asInt() == SPIKE_STEP && point.get(1).asDouble() == 50.0;
        dip |= point.get(0).asInt() == 777 && point.get(1).asDouble() == -3.0;
      }
      if (max >= 4) {
        assertTrue(spike, "the spike survives at maxPoints=" + max);
        assertTrue(dip, "the dip survives at maxPoints=" + max);
      }
    }
  }

  @Test
  void overwrittenPointsLeaveTheRollups() {
    long other = api.createRun("{\"project\":\"ds\"}");
    String path = "/api/v1/runs/" + other + "/metrics";
    StringJoiner j = new StringJoiner(",", "{\"points\":[", "]}");
    for (int s = 0; s < 10_000; s++) {
      j.add("{\"key\":\"acc\",\"step\":" + s + ",\"value\":" + (s == 5000 ? 99 : 0.5) + "}");
    }
    api.post(path, j.toString());
    assertTrue(api.get(path + "?key=acc&maxPoints=100").body().contains("[5000,99.0]"));
    // a retried stage re-logs steps 4990..5009 with other values: the spike moves to 5005
    StringJoiner again = new StringJoiner(",", "{\"points\":[", "]}");
    for (int s = 4990; s < 5010; s++) {
      again.add("{\"key\":\"acc\",\"step\":" + s + ",\"value\":" + (s == 5005 ? 77 : 0.5) + "}");
    }
    api.post(path, again.toString());
    for (int max : new int[] {10, 100, 1000}) {
      String body = api.get(path + "?key=acc&maxPoints=" + max).body();
      assertFalse(body.contains("99.0"), body);
      assertTrue(body.contains("[5005,77.0]"), body);
    }
    assertEquals(77.0, api.get("/api/v1/runs/" + other).json().at("/metrics/acc/max").asDouble());
  }

  @Test
  void isDeterministic() {
    assertEquals(points(500).toString(), points(500).toString());
    assertEquals(points(1000).size(), points(1000).size());
  }

  @Test
  void aSmallSeriesComesBackWhole() {
    assertEquals(N, points(N).size());
    assertEquals(N, points(Limits.MAX_SERIES_POINTS).size());
  }

  @Test
  void maxPointsIsValidated() {
    Response r = api.get("/api/v1/runs/" + run + "/metrics?key=loss&maxPoints=1");
    assertEquals(400, r.status());
    assertEquals("maxPoints", r.field());
    r = api.get("/api/v1/runs/" + run + "/metrics?key=loss&maxPoints=lots");
    assertEquals(400, r.status());
    assertEquals("maxPoints", r.field());
  }
}
