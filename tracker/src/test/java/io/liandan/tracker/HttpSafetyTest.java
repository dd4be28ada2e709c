package io.liandan.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.tracker.Api.Response;
import io.liandan.tracker.web.HttpSafety;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HTTP guards a browser relies on: the Host allow-list against DNS rebinding, the security
 * headers on every response, and reads (anonymous ones included) that never write.
 */
class HttpSafetyTest {
  static TestServer t;
  static Api anonymous;

  @BeforeAll
  static void start() {
    t = TestServer.start();
    anonymous = t.api.withToken(null);
  }

  @AfterAll
  static void stop() {
    t.close();
  }

  /** A raw HTTP/1.1 request with the Host header a rebinding page's browser would send. */
  static String rawGet(int port, String path, String host) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static int status(String rawResponse) {
    return Integer.parseInt(rawResponse.substring(9, 12));
  }

  static int port(TestServer server) {
    return URI.create(server.server.url()).getPort();
  }

  @Test
  void aLoopbackServerAnswersOnlyToLoopbackNames() throws IOException {
    int port = port(t);
    for (String host :
        new String[] {"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "LOCALHOST"}) {
      assertEquals(200, status(rawGet(port, "/api/v1/projects", host)), host);
    }
    for (String host :
        new String[] {
          "evil.example:" + port, "evil.example", "localhost.evil.example", "127.0.0.2"
        }) {
      String r = rawGet(port, "/api/v1/projects", host);
      assertEquals(403, status(r), host + ": " + r);
      assertTrue(r.contains("LIANDAN_ALLOWED_HOSTS"), r);
      assertFalse(r.contains("\"projects\""), "no data in the refusal: " + r);
    }
    // pages and unknown paths too, not only the API
    assertEquals(403, status(rawGet(port, "/", "evil.example")));
    assertEquals(403, status(rawGet(port, "/api/2.0/mlflow/experiments/search", "evil.example")));
  }

  @Test
  void theAllowListIsConfigurable() throws Exception {
    TrackerConfig config =
        TrackerConfig.fromEnvironment(
                java.util.Map.of("LIANDAN_ALLOWED_HOSTS", "tracker.lan, Box.Local"))
            .withPort(0)
            .withDatabase(TestPostgres.newDatabase(), null, null);
    assertEquals(List.of("tracker.lan", "Box.Local"), config.allowedHosts());
    try (TrackerServer server = TrackerServer.start(config)) {
      int port = URI.create(server.url()).getPort();
      assertEquals(200, status(rawGet(port, "/api/v1/projects", "tracker.lan:" + port)));
      assertEquals(200, status(rawGet(port, "/api/v1/projects", "box.local")));
      assertEquals(403, status(rawGet(port, "/api/v1/projects", "evil.example")));
    }
    // a server on a network has no default list: its names are its operator's to configure
    assertNull(HttpSafety.forServer("0.0.0.0", null).allowedHosts());
    assertNull(HttpSafety.forServer("127.0.0.1", List.of("*")).allowedHosts());
    assertEquals(
        HttpSafety.LOOPBACK_HOSTS.size(), HttpSafety.forServer("::1", null).allowedHosts().size());
  }

  @Test
  void everyResponseCarriesTheSecurityHeaders() throws IOException {
    int port = port(t);
    for (String path :
        new String[] {"/api/v1/projects", "/api/v1/runs/999999", "/no-such-page", "/"}) {
      String r = rawGet(port, path, "localhost:" + port).toLowerCase(Locale.ROOT);
      String head = r.substring(0, r.indexOf("\r\n\r\n"));
      String csp =
          head.lines()
              .filter(l -> l.startsWith("content-security-policy:"))
              .findFirst()
              .orElseThrow(() -> new AssertionError(path + " has no CSP: " + head));
      assertTrue(csp.contains("script-src 'self'"), csp);
      String scriptSrc = csp.substring(csp.indexOf("script-src"));
      scriptSrc = scriptSrc.substring(0, scriptSrc.indexOf(';'));
      assertFalse(scriptSrc.contains("unsafe"), "no inline script: " + csp);
      assertTrue(csp.contains("frame-ancestors 'none'"), csp);
      assertTrue(head.contains("x-content-type-options: nosniff"), head);
    }
  }

  @Test
  void readsNeverCreateAnything() {
    String mlflow = "/api/2.0/mlflow";
    Response search = anonymous.post(mlflow + "/experiments/search", "{}");
    assertEquals(200, search.status(), search.body());
    // before its first run the Default experiment is readable by id and name (below), but a search
    // lists saved experiments only (its filter and paging run in SQL)
    assertEquals(0, search.json().at("/experiments").size(), search.body());
    assertEquals(200, anonymous.get(mlflow + "/experiments/search").status());
    assertEquals(
        "0",
        anonymous
            .get(mlflow + "/experiments/get-by-name?experiment_name=Default")
            .json()
            .at("/experiment/experiment_id")
            .asText());
    assertEquals(200, anonymous.get(mlflow + "/experiments/get?experiment_id=0").status());
    Response runs = anonymous.post(mlflow + "/runs/search", "{\"experiment_ids\":[\"0\"]}");
    assertEquals(200, runs.status(), runs.body());
    assertTrue(runs.json().path("runs").isEmpty(), runs.body());
    assertTrue(
        t.api.get("/api/v1/projects").body().indexOf("\"Default\"") < 0,
        "no read created the Default project");

    // the first run logged to experiment 0 does create it
    Response created =
        t.api.post(mlflow + "/runs/create", "{\"experiment_id\":\"0\",\"start_time\":1}");
    assertEquals(200, created.status(), created.body());
    assertTrue(t.api.get("/api/v1/projects").body().contains("\"Default\""));
    assertEquals(
        1,
        anonymous
            .post(mlflow + "/runs/search", "{\"experiment_ids\":[\"0\"]}")
            .json()
            .get("runs")
            .size());
    assertEquals(
        1,
        anonymous.post(mlflow + "/experiments/search", "{}").json().get("experiments").size(),
        "Default listed once, now saved");
  }
}
