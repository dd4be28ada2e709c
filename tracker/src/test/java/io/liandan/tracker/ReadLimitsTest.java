package io.liandan.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.javalin.Javalin;
import io.liandan.tracker.Api.Response;
import io.liandan.tracker.metric.MetricReader;
import io.liandan.tracker.metric.ReadGate;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** One anonymous client cannot make the server hold unbounded metric points in memory. */
class ReadLimitsTest extends ServerTest {
  @Test
  void aReadsTotalPointsAreBounded() {
    long run = api.createRun("{\"project\":\"limits\"}");
    String keys = "key=a&key=b&key=c&key=d";
    // 4 keys × 100,000 points: 12.3 MB in 8 s before; now refused up front, naming maxPoints
    Response r = api.get("/api/v1/runs/" + run + "/metrics/series?" + keys + "&maxPoints=100000");
    assertEquals(400, r.status(), r.body());
    assertEquals("maxPoints", r.field());
    assertTrue(r.error().contains(String.valueOf(Limits.MAX_READ_POINTS)), r.error());
    long perKey = Limits.MAX_READ_POINTS / 4;
    assertEquals(
        200,
        api.get("/api/v1/runs/" + run + "/metrics/series?" + keys + "&maxPoints=" + perKey)
            .status());
    // the single-key compare read counts its runs too
    long other = api.createRun("{\"project\":\"limits\"}");
    Response cmp =
        api.get("/api/v1/metrics?runs=" + run + "," + other + ",999&key=a&maxPoints=100000");
    assertEquals(400, cmp.status(), cmp.body());
    assertEquals("maxPoints", cmp.field());
  }

  @Test
  void readsBeyondThePointsInFlightWaitThenGet503WithRetryAfter() throws Exception {
    ReadGate gate = new ReadGate(1_000, Duration.ofMillis(300));
    TrackerApp.Deps d = t.server.services();
    TrackerApp.Deps deps =
        new TrackerApp.Deps(
            d.runs(),
            d.metricWriter(),
            new MetricReader(t.server.db(), gate),
            d.samples(),
            d.artifacts(),
            d.projects(),
            d.tokens(),
            d.mlflow(),
            d.health());
    Javalin app = TrackerApp.create(deps, false).start("127.0.0.1", 0);
    try {
      long run = api.createRun("{\"project\":\"limits\"}");
      URI uri =
          URI.create(
              "http://localhost:"
                  + app.port()
                  + "/api/v1/runs/"
                  + run
                  + "/metrics?key=a&maxPoints=500");
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest get = HttpRequest.newBuilder(uri).GET().build();
      try (ReadGate.Permit busy = gate.enter(600)) {
        HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
        assertEquals(503, r.statusCode(), r.body());
        assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
        assertTrue(r.body().contains("busy with other large metric reads"), r.body());
        assertEquals(400, gate.available());
      }
      HttpResponse<String> ok = http.send(get, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ok.statusCode(), ok.body());
      assertEquals(1_000, gate.available(), "a read gives its points back");
    } finally {
      app.stop();
    }
  }
}
