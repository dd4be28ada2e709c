package io.liandan.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.javalin.Javalin;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * /healthz and /readyz without a token; while the database is unreachable, readiness and writes
 * answer 503 with Retry-After within the pool's 2 s (not a 500 after 30 s). The database: a port
 * nothing listens on, as after PostgreSQL died.
 */
class HealthTest {
  @Test
  void anUnreachableDatabaseAnswers503WithRetryAfter() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl("jdbc:postgresql://localhost:" + deadPort + "/postgres");
    hc.setConnectionTimeout(TrackerServer.CONNECTION_TIMEOUT_MILLIS);
    hc.setInitializationFailTimeout(-1); // start without a database, as one that just died
    try (HikariDataSource ds = new HikariDataSource(hc)) {
      Javalin app =
          TrackerApp.create(TrackerApp.Deps.of(TrackerServer.dsl(ds), Duration.ofMinutes(5)), false)
              .start("127.0.0.1", 0);
      try {
        String base = "http://127.0.0.1:" + app.port();
        HttpClient http = HttpClient.newHttpClient();
        assertEquals(200, http.send(get(base + "/healthz"), body()).statusCode());

        HttpResponse<String> ready = http.send(get(base + "/readyz"), body());
        assertEquals(503, ready.statusCode(), ready.body());
        assertEquals("1", ready.headers().firstValue("Retry-After").orElse(null));

        long start = System.nanoTime();
        HttpResponse<String> write =
            http.send(
                HttpRequest.newBuilder(URI.create(base + "/api/v1/runs/1/metrics"))
                    .header("Authorization", "Bearer ldn_some-token")
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"points\":[{\"key\":\"loss\",\"step\":1,\"value\":1}]}"))
                    .build(),
                body());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(503, write.statusCode(), write.body());
        assertEquals("1", write.headers().firstValue("Retry-After").orElse(null));
        assertTrue(write.body().contains("database unreachable"), write.body());
        assertTrue(millis < 10_000, "answered in " + millis + " ms");
      } finally {
        app.stop();
      }
    }
  }

  private static HttpRequest get(String url) {
    return HttpRequest.newBuilder(URI.create(url)).build();
  }

  private static HttpResponse.BodyHandler<String> body() {
    return HttpResponse.BodyHandlers.ofString();
  }
}
