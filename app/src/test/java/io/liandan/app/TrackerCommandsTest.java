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
              io.liandan.workflows.DemoPipeline.Size.QUICK.sftSteps(),
              new com.fasterxml.jackson.databind.ObjectMapper().readTree(loss).get("points").size(),
              loss);
        }
      }
    }
  }
}
