package io.liandan.tracker.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.tracker.TrackerConfig;
import io.liandan.tracker.TrackerServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.TreeMap;

/**
 * A real tracker server on a database given by JDBC URL, on a fixed port, that a test can stop and
 * start again (same port, same database, same token); and reading a series back over HTTP.
 */
final class TestTracker implements AutoCloseable {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private final TrackerConfig config;
  private final String token;
  private TrackerServer server;

  private TestTracker(TrackerConfig config) {
    this.config = config;
    this.server = startServer(config);
    this.token = server.tokens().create("client-test").token();
  }

  /** A server on a fresh database of the shared test PostgreSQL. */
  static TestTracker start() {
    return on(TestDatabase.newDatabase());
  }

  /**
   * A server started and stopped again (it has its port and token): down until {@link #restart},
   * for the clients that must buffer.
   */
  static TestTracker down() {
    TestTracker t = start();
    t.stop();
    return t;
  }

  static TestTracker on(String jdbcUrl) {
    return new TestTracker(
        TrackerConfig.defaults().withPort(freePort()).withDatabase(jdbcUrl, null, null));
  }

  String url() {
    return "http://localhost:" + config.port();
  }

  String token() {
    return token;
  }

  /** A client config for tests: quick retries, short timeouts. */
  TrackerClientConfig clientConfig(Path bufferDir) {
    return TrackerClientConfig.of(url(), token)
        .withBufferDir(bufferDir)
        .withBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .withCreateTimeout(Duration.ofSeconds(1))
        .withRequestTimeout(Duration.ofSeconds(5))
        .withCloseTimeout(Duration.ofSeconds(20));
  }

  void stop() {
    server.close();
    server = null;
  }

  void restart() {
    server = startServer(config);
  }

  /** Every point of a series, step → value (maxPoints large enough to get it whole). */
  TreeMap<Long, Double> series(long runId, String key) {
    JsonNode json =
        get(
            "/api/v1/runs/"
                + runId
                + "/metrics?maxPoints=100000&key="
                + URLEncoder.encode(key, StandardCharsets.UTF_8));
    TreeMap<Long, Double> out = new TreeMap<>();
    for (JsonNode p : json.get("points")) {
      out.put(p.get(0).asLong(), p.get(1).asDouble());
    }
    return out;
  }

  JsonNode get(String path) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url() + path)).build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new AssertionError("GET " + path + ": " + r.statusCode() + " " + r.body());
      }
      return MAPPER.readTree(r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static TrackerServer startServer(TrackerConfig config) {
    try {
      return TrackerServer.start(config);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (server != null) {
      stop();
    }
  }
}
