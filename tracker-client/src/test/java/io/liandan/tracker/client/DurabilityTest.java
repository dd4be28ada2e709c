package io.liandan.tracker.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.tracker.AdminDatabase;
import io.liandan.tracker.TrackerConfig;
import io.liandan.tracker.TrackerServer;
import io.liandan.tracker.auth.TokenService;
import io.liandan.tracker.embedded.Postmaster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledged means durable: a client logs points over HTTP to {@code TrackerServer} (a child JVM
 * with its embedded PostgreSQL, as {@code liandan server} runs) while the server process, the
 * postmaster, or both are SIGKILLed. Afterwards every point that got a 2xx is stored, with its
 * value; a killed server's successor takes over the orphaned PostgreSQL; a killed PostgreSQL is
 * restarted by the server, which answers 503 (never 500) meanwhile.
 */
class DurabilityTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final int BATCH = 200;
  @TempDir Path home;

  @Test
  void pointsAcknowledgedBeforeTheServerIsKilledAreStored() throws Exception {
    survives(true, false);
  }

  @Test
  void pointsAcknowledgedBeforePostgresIsKilledAreStored() throws Exception {
    survives(false, true);
  }

  @Test
  void pointsAcknowledgedBeforeBothAreKilledAreStored() throws Exception {
    survives(true, true);
  }

  private void survives(boolean killServer, boolean killPostgres) throws Exception {
    int port = TestTracker.freePort();
    String url = "http://localhost:" + port;
    Process server = startServer(port, "server-1.log");
    try {
      String token;
      // while the server runs: the command-line tools reach its PostgreSQL with the home's password
      try (AdminDatabase admin = AdminDatabase.open(config())) {
        token = new TokenService(admin.db()).create("durability").token();
      }
      long run = createRun(url, token);
      Logger logger = new Logger(url, token, run);
      Thread t = new Thread(logger, "durability-logger");
      t.start();
      waitFor(() -> logger.acked.size() >= 5_000, Duration.ofSeconds(60), "5,000 acked points");

      Postmaster pg = Postmaster.running(home.resolve("postgres")).orElseThrow();
      if (killPostgres) {
        ProcessHandle.of(pg.pid()).orElseThrow().destroyForcibly(); // SIGKILL
      }
      if (killServer) {
        server.destroyForcibly(); // SIGKILL: no shutdown hook, its PostgreSQL left running
        assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        Thread.sleep(500);
        server = startServer(port, "server-2.log");
      }
      int before = logger.acked.size();
      waitFor(
          () -> logger.acked.size() >= before + 2_000,
          Duration.ofSeconds(90),
          "the tracker to acknowledge points again");
      logger.stop.set(true);
      t.join();

      if (killPostgres && !killServer) {
        assertTrue(
            Postmaster.running(home.resolve("postgres")).orElseThrow().pid() != pg.pid(),
            "the server restarted its PostgreSQL");
        assertFalse(
            logger.statuses.containsKey(500),
            "no 500 while PostgreSQL was down: " + logger.statuses);
        assertTrue(
            logger.statuses.containsKey(503) || logger.statuses.containsKey(-1),
            logger.statuses.toString());
      }
      TreeMap<Long, Double> stored = series(url, run);
      int missing = 0;
      for (long step : logger.acked) {
        if (!stored.containsKey(step)) {
          missing++;
        } else {
          assertEquals(step * 0.5, stored.get(step), "value of step " + step);
        }
      }
      assertEquals(
          0,
          missing,
          missing
              + " of "
              + logger.acked.size()
              + " acknowledged points lost; replies "
              + logger.statuses);
    } finally {
      server.destroy();
      server.waitFor(60, TimeUnit.SECONDS);
      Postmaster.running(home.resolve("postgres"))
          .ifPresent(
              p -> {
                try {
                  p.stop(30);
                } catch (java.io.IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
    }
  }

  private TrackerConfig config() {
    return TrackerConfig.defaults().withDataDir(home.resolve("postgres"));
  }

  private Process startServer(int port, String logName) throws Exception {
    ProcessBuilder pb = ChildJvm.of(TrackerServer.class);
    pb.environment().put("LIANDAN_HOME", home.toString());
    pb.environment().put("LIANDAN_TRACKER_PORT", Integer.toString(port));
    pb.redirectErrorStream(true).redirectOutput(home.resolve(logName).toFile());
    Process p = pb.start();
    HttpClient http = HttpClient.newHttpClient();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < until) {
      if (!p.isAlive()) {
        throw new AssertionError(
            "the server exited with "
                + p.exitValue()
                + ":\n"
                + Files.readString(home.resolve(logName)));
      }
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return p;
        }
      } catch (java.io.IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    p.destroyForcibly();
    throw new AssertionError(
        "the server was not ready in 90 s:\n" + Files.readString(home.resolve(logName)));
  }

  private static long createRun(String url, String token) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url + "/api/v1/runs"))
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"project\":\"durable\",\"name\":\"kill\"}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(201, r.statusCode(), r.body());
    return MAPPER.readTree(r.body()).get("id").asLong();
  }

  private static TreeMap<Long, Double> series(String url, long run) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            url + "/api/v1/runs/" + run + "/metrics?key=loss&maxPoints=100000"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    TreeMap<Long, Double> out = new TreeMap<>();
    for (var p : MAPPER.readTree(r.body()).get("points")) {
      out.put(p.get(0).asLong(), p.get(1).asDouble());
    }
    return out;
  }

  /** Posts batches of consecutive steps; remembers each step whose batch got a 2xx. */
  private static final class Logger implements Runnable {
    final ConcurrentSkipListSet<Long> acked = new ConcurrentSkipListSet<>();
    final Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
    final AtomicBoolean stop = new AtomicBoolean();
    private final HttpClient http =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String url;
    private final String token;
    private final long run;

    Logger(String url, String token, long run) {
      this.url = url;
      this.token = token;
      this.run = run;
    }

    @Override
    public void run() {
      long step = 0;
      while (!stop.get() && step < 90_000) {
        StringBuilder body = new StringBuilder("{\"points\":[");
        for (int i = 0; i < BATCH; i++) {
          long s = step + i;
          body.append(i == 0 ? "" : ",")
              .append("{\"key\":\"loss\",\"step\":")
              .append(s)
              .append(",\"value\":")
              .append(s * 0.5)
              .append('}');
        }
        body.append("]}");
        int status;
        try {
          status =
              http.send(
                      HttpRequest.newBuilder(URI.create(url + "/api/v1/runs/" + run + "/metrics"))
                          .timeout(Duration.ofSeconds(10))
                          .header("Authorization", "Bearer " + token)
                          .header("Content-Type", "application/json")
                          .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                          .build(),
                      HttpResponse.BodyHandlers.discarding())
                  .statusCode();
        } catch (java.io.IOException e) {
          status = -1; // no reply: the batch may or may not be stored; it was not acknowledged
        } catch (InterruptedException e) {
          return;
        }
        statuses.merge(status, 1, Integer::sum);
        if (status >= 200 && status < 300) {
          for (int i = 0; i < BATCH; i++) {
            acked.add(step + i);
          }
        } else {
          Points.sleep(100);
        }
        step += BATCH;
      }
    }
  }

  private static void waitFor(
      java.util.function.BooleanSupplier condition, Duration limit, String what) {
    long until = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < until, "waited " + limit + " for " + what);
      Points.sleep(50);
    }
  }
}
