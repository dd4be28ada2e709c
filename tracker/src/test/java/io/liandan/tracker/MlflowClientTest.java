package io.liandan.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.tracker.web.Json;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real MLflow Python client (mlflow-skinny, pinned by tools/pyenv) against a real tracker: the
 * script asserts what the client reads back; this side asserts that it passed and that the
 * tracker's own API sees the same runs.
 */
class MlflowClientTest {
  static TestServer t;

  @BeforeAll
  static void start() {
    t = TestServer.start();
  }

  @AfterAll
  static void stop() {
    t.close();
  }

  static Map<String, String> mlflowEnv() {
    return Map.of(
        "MLFLOW_TRACKING_URI",
        t.server.url(),
        "MLFLOW_TRACKING_TOKEN",
        t.token,
        // no retries with back-off: a deviation must fail fast, not after minutes
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
        "0",
        "MLFLOW_HTTP_REQUEST_TIMEOUT",
        "30");
  }

  static JsonNode runScript(String script, long timeoutSeconds) {
    Python.Result r = Python.run(Python.script(script), mlflowEnv(), timeoutSeconds);
    assertEquals(0, r.exitCode(), script + " failed:\n" + r.output());
    try {
      return Json.MAPPER.readTree(r.lastLine());
    } catch (Exception e) {
      throw new AssertionError("no JSON summary from " + script + ":\n" + r.output(), e);
    }
  }

  @Test
  void theMlflowClientLogsAndReadsBack() {
    JsonNode out = runScript("mlflow_client_check.py", 180);

    String a = out.at("/runs/sft-a").asText();
    JsonNode run = t.api.get("/api/v1/runs/" + a).json();
    assertEquals("sft-a", run.get("name").asText());
    assertEquals("finished", run.get("state").asText());
    assertEquals("client-check", run.get("project").asText(), run.toString());
    assertEquals("0.001", run.at("/config/lr").asText());
    assertEquals("3", run.at("/config/epochs").asText());
    assertEquals("sft", run.at("/labels/kind").asText());
    assertEquals(0.5, run.at("/metrics/train~1loss/last").asDouble(), run.toString());

    JsonNode series = t.api.get("/api/v1/runs/" + a + "/metrics?key=train/loss").json();
    assertEquals(5, series.get("points").size(), series.toString());
    assertEquals(2.0, series.at("/points/0/1").asDouble(), series.toString());

    assertEquals(
        "failed",
        t.api.get("/api/v1/runs/" + out.get("failed").asText()).json().get("state").asText());
  }
}
