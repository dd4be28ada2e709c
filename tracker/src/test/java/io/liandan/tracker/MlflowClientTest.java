package io.liandan.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.tracker.web.Json;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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

  static Map<String, String> mlflowEnv(Map<String, String> more) {
    Map<String, String> env = new HashMap<>(more);
    env.put("MLFLOW_TRACKING_URI", t.server.url());
    env.put("MLFLOW_TRACKING_TOKEN", t.token);
    // no retries with back-off: a deviation must fail fast, not after minutes
    env.put("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0");
    env.put("MLFLOW_HTTP_REQUEST_TIMEOUT", "30");
    // nothing from the Hub (unreachable here), and the CPU the build shares
    env.put("HF_HUB_OFFLINE", "1");
    env.put("TRANSFORMERS_OFFLINE", "1");
    env.put("OMP_NUM_THREADS", "2");
    return env;
  }

  static JsonNode runScript(
      String script, long timeoutSeconds, Map<String, String> env, String... args) {
    Python.Result r = Python.run(Python.script(script), mlflowEnv(env), timeoutSeconds, args);
    assertEquals(0, r.exitCode(), script + " failed:\n" + r.output());
    try {
      return Json.MAPPER.readTree(r.lastLine());
    } catch (Exception e) {
      throw new AssertionError("no JSON summary from " + script + ":\n" + r.output(), e);
    }
  }

  @Test
  void theMlflowClientLogsAndReadsBack() {
    JsonNode out = runScript("mlflow_client_check.py", 180, Map.of());

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

  @Test
  void aTrainerReportingToMlflowShowsItsCurvesInLiandan() {
    JsonNode out =
        runScript("mlflow_trainer_check.py", 600, Map.of("MLFLOW_EXPERIMENT_NAME", "hf-trainer"));
    System.out.println("Trainer run as the MLflow client read it: " + out);
    String id = out.get("run_id").asText();

    JsonNode run = t.api.get("/api/v1/runs/" + id).json();
    assertEquals("hf-trainer", run.get("project").asText(), run.toString());
    assertEquals("tiny-qwen", run.get("name").asText());
    assertEquals("finished", run.get("state").asText());
    assertEquals("0.001", run.at("/config/learning_rate").asText());
    assertEquals(out.get("params").asInt(), run.get("config").size(), run.toString());

    // the UI's chart read: every key the Trainer logged, with its points
    JsonNode keys = t.api.get("/api/v1/runs/" + id + "/metrics/keys").json().get("keys");
    List<String> logged = new ArrayList<>();
    keys.forEach(k -> logged.add(k.asText()));
    List<String> expected = new ArrayList<>();
    out.get("metrics").forEach(k -> expected.add(k.asText()));
    assertEquals(expected, logged.stream().sorted().toList());
    assertTrue(
        logged.containsAll(List.of("loss", "grad_norm", "learning_rate")), logged.toString());
    JsonNode series =
        t.api.get("/api/v1/runs/" + id + "/metrics/series?key=loss&key=learning_rate").json();
    JsonNode loss = series.at("/series/0");
    assertEquals("loss", loss.get("key").asText(), series.toString());
    assertEquals(out.get("loss").size(), loss.get("points").size(), series.toString());
    for (int i = 0; i < out.get("loss").size(); i++) {
      assertEquals(i + 1, loss.at("/points/" + i + "/0").asLong(), series.toString());
      assertEquals(out.at("/loss/" + i).asDouble(), loss.at("/points/" + i + "/1").asDouble());
    }
  }

  /** A stage's run as the pipeline's Tracking.open makes it (create-or-resume by key). */
  static long stageRun(String stage, String kind) {
    return t.api.createRun(
        "{\"project\":\"pipelines\",\"key\":\"wf-7/"
            + stage
            + "\",\"name\":\"wf-7-"
            + stage
            + "\",\"group\":\"wf-7\",\"jobType\":\""
            + kind
            + "\",\"tags\":[\"pipeline:wf-7\",\"stage:"
            + stage
            + "\"],\"config\":{\"model\":\"qwen-tiny\",\"epochs\":2,\"lora\":{\"r\":16,\"alpha\":32}},"
            + "\"workflowId\":\"wf-7\",\"activityId\":\"3\"}");
  }

  @Test
  void pipelineRunsReadThroughTheMlflowClient() {
    long sft = stageRun("sft", "sft");
    long dpo = stageRun("dpo", "dpo");
    Api.Response logged =
        t.api.post(
            "/api/v1/runs/" + sft + "/metrics",
            "{\"points\":[{\"key\":\"train/loss\",\"step\":1,\"value\":2.0},"
                + "{\"key\":\"train/loss\",\"step\":2,\"value\":1.75},"
                + "{\"key\":\"train/loss\",\"step\":3,\"value\":1.5},"
                + "{\"key\":\"train/loss\",\"step\":4,\"value\":1.25},"
                + "{\"key\":\"eval/loss\",\"step\":4,\"value\":1.5}]}");
    assertEquals(200, logged.status(), logged.body());
    Api.Response done =
        t.api.patch(
            "/api/v1/runs/" + sft,
            "{\"state\":\"finished\",\"summary\":{\"steps\":4,\"resumed_from_step\":0}}");
    assertEquals(200, done.status(), done.body());

    JsonNode out =
        runScript(
            "mlflow_pipeline_check.py", 180, Map.of(), String.valueOf(sft), String.valueOf(dpo));
    assertEquals("wf-7", out.at("/tags/liandan.group").asText(), out.toString());
    // what the tracker shows is unchanged by the read, and the refused tag left no label
    JsonNode run = t.api.get("/api/v1/runs/" + sft).json();
    assertEquals("wf-7", run.get("group").asText());
    assertEquals(0, run.get("labels").size(), run.toString());
  }
}
