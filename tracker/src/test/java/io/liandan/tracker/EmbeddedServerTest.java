package io.liandan.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default setup: PostgreSQL embedded, its data in a folder that survives a restart. */
class EmbeddedServerTest {
  @TempDir Path home;

  @Test
  void dataSurvivesARestart() throws Exception {
    TrackerConfig config =
        TrackerConfig.defaults().withPort(0).withDataDir(home.resolve("postgres"));
    long id;
    String token;
    try (TrackerServer server = TrackerServer.start(config)) {
      token = server.tokens().create("restart").token();
      Api api = new Api(server.url(), token);
      id = api.createRun("{\"project\":\"restart\",\"key\":\"k\"}");
      api.post(
          "/api/v1/runs/" + id + "/metrics",
          "{\"points\":[{\"key\":\"loss\",\"step\":1,\"value\":0.5}]}");
    }
    try (TrackerServer server = TrackerServer.start(config)) {
      Api api = new Api(server.url(), token);
      assertEquals(id, api.createRun("{\"project\":\"restart\",\"key\":\"k\"}"), "resumed");
      assertEquals(
          "[[1,0.5]]",
          api.get("/api/v1/runs/" + id + "/metrics?key=loss").json().get("points").toString());
    }
  }
}
