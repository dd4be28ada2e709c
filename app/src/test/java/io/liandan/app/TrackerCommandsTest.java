package io.liandan.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.tracker.TrackerConfig;
import io.liandan.tracker.TrackerServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code liandan token create} makes a token that the tracker then accepts for writes. */
class TrackerCommandsTest {
  @Test
  void createdTokenAuthorisesWrites(@TempDir Path home) throws Exception {
    ModelCommandsTest.Run r =
        ModelCommandsTest.run("token", "create", "worker-1", "--home", home.toString());
    assertEquals(0, r.code(), r.err());
    String token = r.out().strip();
    assertTrue(token.length() > 20 && !token.contains(" "), token);
    TrackerConfig config =
        TrackerConfig.defaults().withDataDir(home.resolve("postgres")).withPort(0);
    try (TrackerServer server = TrackerServer.start(config)) {
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest.Builder post =
          HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/runs"))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"project\": \"p\", \"name\": \"n\"}"));
      assertEquals(401, http.send(post.build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      HttpResponse<String> ok =
          http.send(
              post.header("Authorization", "Bearer " + token).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(201, ok.statusCode(), ok.body());
    }
  }

  /**
   * While a server runs on the home: {@code token create} reaches its PostgreSQL (no second one),
   * {@code token list} shows the token without its secret, and {@code token revoke} makes the
   * running server refuse it within the stated bound (1 s cache, so well under 2 s).
   */
  @Test
  void tokensAreCreatedListedAndRevokedWhileTheServerRuns(@TempDir Path home) throws Exception {
    TrackerConfig config =
        TrackerConfig.defaults().withDataDir(home.resolve("postgres")).withPort(0);
    try (TrackerServer server = TrackerServer.start(config)) {
      String h = home.toString();
      ModelCommandsTest.Run created = ModelCommandsTest.run("token", "create", "ci-1", "--home", h);
      assertEquals(0, created.code(), created.err());
      String token = created.out().strip();
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest post =
          HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/runs"))
              .header("Content-Type", "application/json")
              .header("Authorization", "Bearer " + token)
              .POST(HttpRequest.BodyPublishers.ofString("{\"project\": \"p\", \"name\": \"n\"}"))
              .build();
      assertEquals(201, http.send(post, HttpResponse.BodyHandlers.ofString()).statusCode());

      ModelCommandsTest.Run listed = ModelCommandsTest.run("token", "list", "--home", h);
      assertEquals(0, listed.code(), listed.err());
      assertTrue(listed.out().contains("ci-1"), listed.out());
      assertTrue(!listed.out().contains(token), "never the secret: " + listed.out());

      ModelCommandsTest.Run revoked = ModelCommandsTest.run("token", "revoke", "ci-1", "--home", h);
      assertEquals(0, revoked.code(), revoked.err());
      long start = System.nanoTime();
      int status;
      do {
        status = http.send(post, HttpResponse.BodyHandlers.ofString()).statusCode();
      } while (status != 401 && System.nanoTime() - start < 5_000_000_000L);
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertEquals(401, status, "the revoked token still works after " + millis + " ms");
      assertTrue(millis <= 2_000, "revocation took " + millis + " ms to reach the server");
      assertTrue(
          ModelCommandsTest.run("token", "list", "--home", h)
              .out()
              .matches("(?s).*ci-1\\s+\\S+\\s+\\d{4}-.*"),
          "listed with its revocation time");
      ModelCommandsTest.Run again = ModelCommandsTest.run("token", "revoke", "ci-1", "--home", h);
      assertEquals(1, again.code(), "nothing left to revoke");
      assertTrue(again.err().contains("no active token named 'ci-1'"), again.err());
    }
  }

  /** The main job: the demo pipeline through the embedded stack, every stage a tracked run. */
  @Test
  void demoRunsThePipelineAndTracksEveryStage(@TempDir Path dir) throws Exception {
    Path home = dir.resolve("home");
    ModelCommandsTest.Run r =
        ModelCommandsTest.run(
            "demo", "--quick", "--out", dir.resolve("out").toString(), "--home", home.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("merge         done"), r.out());
    assertTrue(java.nio.file.Files.exists(dir.resolve("out/pipeline.json")));
    TrackerConfig config =
        TrackerConfig.defaults().withDataDir(home.resolve("postgres")).withPort(0);
    try (TrackerServer server = TrackerServer.start(config)) {
      HttpClient http = HttpClient.newHttpClient();
      String runs =
          http.send(
                  HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/projects/demo/runs"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(runs);
      var list = tree.has("runs") ? tree.get("runs") : tree;
      // format, tokenize and train for pt, sft and dpo; eval; merge
      assertEquals(11, list.size(), runs);
      for (var run : list) {
        assertEquals("finished", run.get("state").asText(), runs);
        if (run.get("jobType").asText().equals("sft")) {
          String loss =
              http.send(
                      HttpRequest.newBuilder(
                              URI.create(
                                  server.url()
                                      + "/api/v1/runs/"
                                      + run.get("id").asLong()
                                      + "/metrics?key=train/loss&maxPoints=100"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body();
          assertEquals(
              io.liandan.llm.demo.DemoPipeline.Size.QUICK.sftSteps(),
              new com.fasterxml.jackson.databind.ObjectMapper().readTree(loss).get("points").size(),
              loss);
        }
      }
    }
  }
}
