package io.liandan.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.tracker.Api.Response;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * MLflow's tracking REST API (api/2.0/mlflow) with the request and response shapes of MLflow's REST
 * documentation, as its Python client sends them (protobuf JSON: int64 as strings, NaN as "NaN").
 */
class MlflowApiTest extends ServerTest {
  static final String M = "/api/2.0/mlflow";

  static Map<String, String> kv(JsonNode list) {
    Map<String, String> m = new HashMap<>();
    list.forEach(e -> m.put(e.get("key").asText(), e.get("value").asText()));
    return m;
  }

  static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void experimentsByNameAndCreate() {
    Response missing = api.get(M + "/experiments/get-by-name?experiment_name=" + q("qwen sft"));
    assertError(missing, 404, "RESOURCE_DOES_NOT_EXIST");

    Response created = api.post(M + "/experiments/create", "{\"name\":\"qwen sft\"}");
    assertEquals(200, created.status(), created.body());
    String id = created.json().get("experiment_id").asText();
    Response again = api.post(M + "/experiments/create", "{\"name\":\"qwen sft\"}");
    assertError(again, 400, "RESOURCE_ALREADY_EXISTS");

    JsonNode e = api.get(M + "/experiments/get-by-name?experiment_name=" + q("qwen sft")).json();
    assertEquals(id, e.at("/experiment/experiment_id").asText());
    assertEquals("active", e.at("/experiment/lifecycle_stage").asText());
    assertEquals(
        "qwen sft",
        api.get(M + "/experiments/get?experiment_id=" + id).json().at("/experiment/name").asText());
    // the default experiment "0" always exists
    assertEquals(
        "0",
        api.get(M + "/experiments/get-by-name?experiment_name=Default")
            .json()
            .at("/experiment/experiment_id")
            .asText());
    assertEquals(
        "Default",
        api.get(M + "/experiments/get?experiment_id=0").json().at("/experiment/name").asText());
  }

  @Test
  void aTrainerStyleRunLogsParamsMetricsAndTags() {
    String exp = newExperiment("trainer");
    Response created =
        api.post(
            M + "/runs/create",
            "{\"experiment_id\":\""
                + exp
                + "\",\"user_id\":\"alice\",\"start_time\":\"1767225600000\",\"run_name\":\"sft-1\","
                + "\"tags\":[{\"key\":\"mlflow.source.name\",\"value\":\"train.py\"},"
                + "{\"key\":\"stage\",\"value\":\"sft\"}]}");
    assertEquals(200, created.status(), created.body());
    JsonNode info = created.json().at("/run/info");
    String runId = info.get("run_id").asText();
    assertEquals(runId, info.get("run_uuid").asText());
    assertEquals("RUNNING", info.get("status").asText());
    assertEquals(1767225600000L, info.get("start_time").asLong());
    assertEquals("sft-1", info.get("run_name").asText());
    assertEquals(exp, info.get("experiment_id").asText());
    assertEquals("alice", info.get("user_id").asText());

    Response batch =
        api.post(
            M + "/runs/log-batch",
            "{\"run_id\":\""
                + runId
                + "\",\"metrics\":[{\"key\":\"loss\",\"value\":2.5,\"timestamp\":\"1767225601000\",\"step\":\"1\"},"
                + "{\"key\":\"loss\",\"value\":1.5,\"timestamp\":\"1767225602000\",\"step\":\"2\"},"
                + "{\"key\":\"grad_norm\",\"value\":\"NaN\",\"timestamp\":\"1767225602000\",\"step\":\"2\"}],"
                + "\"params\":[{\"key\":\"learning_rate\",\"value\":\"2e-05\"},{\"key\":\"num_train_epochs\",\"value\":\"3\"}],"
                + "\"tags\":[{\"key\":\"mlflow.note.content\",\"value\":\"first try\"}]}");
    assertEquals(200, batch.status(), batch.body());
    assertEquals("{}", batch.body());
    // a retried batch is idempotent, params included
    String sameParam =
        "{\"run_id\":\""
            + runId
            + "\",\"params\":[{\"key\":\"learning_rate\",\"value\":\"2e-05\"}]}";
    assertEquals(200, api.post(M + "/runs/log-batch", sameParam).status());
    Response changed =
        api.post(
            M + "/runs/log-parameter",
            "{\"run_id\":\"" + runId + "\",\"key\":\"learning_rate\",\"value\":\"1e-4\"}");
    assertInvalid(changed, "Changing param values is not allowed");

    assertEquals(
        200,
        api.post(
                M + "/runs/log-metric",
                "{\"run_id\":\""
                    + runId
                    + "\",\"key\":\"loss\",\"value\":1.25,\"timestamp\":1767225603000,\"step\":3}")
            .status());
    assertEquals(
        200,
        api.post(
                M + "/runs/set-tag",
                "{\"run_id\":\"" + runId + "\",\"key\":\"best\",\"value\":\"yes\"}")
            .status());

    JsonNode run = api.get(M + "/runs/get?run_id=" + runId).json().get("run");
    Map<String, String> params = kv(run.at("/data/params"));
    assertEquals("2e-05", params.get("learning_rate"));
    assertEquals("3", params.get("num_train_epochs"));
    Map<String, String> tags = kv(run.at("/data/tags"));
    assertEquals("sft", tags.get("stage"));
    assertEquals("yes", tags.get("best"));
    assertEquals("sft-1", tags.get("mlflow.runName"));
    assertEquals("first try", tags.get("mlflow.note.content"));
    JsonNode loss = null;
    for (JsonNode m : run.at("/data/metrics")) {
      if (m.get("key").asText().equals("loss")) {
        loss = m;
      }
    }
    assertEquals(1.25, loss.get("value").asDouble());
    assertEquals(3, loss.get("step").asInt());
    assertEquals(1767225603000L, loss.get("timestamp").asLong());

    JsonNode history =
        api.get(M + "/metrics/get-history?run_id=" + runId + "&metric_key=loss")
            .json()
            .get("metrics");
    assertEquals(3, history.size());
    assertEquals(2.5, history.at("/0/value").asDouble());
    assertEquals(1767225601000L, history.at("/0/timestamp").asLong());
    Response page =
        api.get(M + "/metrics/get-history?run_id=" + runId + "&metric_key=loss&max_results=2");
    assertEquals(2, page.json().get("metrics").size());
    String token = page.json().get("next_page_token").asText();
    assertEquals(
        3,
        api.get(
                M
                    + "/metrics/get-history?run_id="
                    + runId
                    + "&metric_key=loss&max_results=2&page_token="
                    + token)
            .json()
            .at("/metrics/0/step")
            .asInt());
    assertEquals(
        "NaN",
        api.get(M + "/metrics/get-history?run_id=" + runId + "&metric_key=grad_norm")
            .json()
            .at("/metrics/0/value")
            .asText());

    Response updated =
        api.post(
            M + "/runs/update",
            "{\"run_id\":\""
                + runId
                + "\",\"status\":\"FINISHED\",\"end_time\":\"1767225700000\"}");
    assertEquals(200, updated.status(), updated.body());
    assertEquals("FINISHED", updated.json().at("/run_info/status").asText());
    assertEquals(1767225700000L, updated.json().at("/run_info/end_time").asLong());

    // the same run through the tracker's own API: params are config, tags are labels
    JsonNode own = api.get("/api/v1/runs/" + runId).json();
    assertEquals("finished", own.get("state").asText());
    assertEquals("2e-05", own.at("/config/learning_rate").asText());
    assertEquals("sft", own.at("/labels/stage").asText());
    assertEquals(
        1,
        api.get(
                "/api/v1/projects/trainer/runs?filter="
                    + q("config.learning_rate > 1e-5 and labels.stage = sft"))
            .json()
            .get("runs")
            .size());
  }

  @Test
  void searchFiltersOrdersAndPages() {
    String exp = newExperiment("search");
    String[] ids = new String[3];
    double[] losses = {0.5, 2.0, 1.0};
    for (int i = 0; i < 3; i++) {
      ids[i] =
          api.post(
                  M + "/runs/create",
                  "{\"experiment_id\":\"" + exp + "\",\"run_name\":\"r" + i + "\"}")
              .json()
              .at("/run/info/run_id")
              .asText();
      api.post(
          M + "/runs/log-batch",
          "{\"run_id\":\""
              + ids[i]
              + "\",\"metrics\":[{\"key\":\"eval_loss\",\"value\":"
              + losses[i]
              + ",\"timestamp\":0,\"step\":0}],\"params\":[{\"key\":\"lr\",\"value\":\""
              + (i == 0 ? "0.001" : "0.0001")
              + "\"}],\"tags\":[{\"key\":\"kind\",\"value\":\""
              + (i == 2 ? "dpo" : "sft")
              + "\"}]}");
    }
    api.post(M + "/runs/update", "{\"run_id\":\"" + ids[1] + "\",\"status\":\"FAILED\"}");

    Response r =
        searchRuns(
            api.withToken(null),
            exp,
            "\"filter\":\"metrics.eval_loss < 1.5 and tags.kind = 'sft'\"}");
    assertEquals(200, r.status(), r.body());
    assertEquals(1, r.json().get("runs").size());
    assertEquals(ids[0], r.json().at("/runs/0/info/run_id").asText());

    r = searchRuns(api, exp, "\"order_by\":[\"metrics.eval_loss DESC\"],\"max_results\":2}");
    assertEquals(ids[1], r.json().at("/runs/0/info/run_id").asText());
    assertEquals(ids[2], r.json().at("/runs/1/info/run_id").asText());
    String next = r.json().get("next_page_token").asText();
    r =
        searchRuns(
            api,
            exp,
            "\"order_by\":[\"metrics.eval_loss DESC\"],\"max_results\":2,\"page_token\":\""
                + next
                + "\"}");
    assertEquals(1, r.json().get("runs").size());
    assertEquals(ids[0], r.json().at("/runs/0/info/run_id").asText());
    assertFalse(r.json().has("next_page_token"));

    r = searchRuns(api, exp, "\"filter\":\"attributes.status = 'FAILED'\"}");
    assertEquals(1, r.json().get("runs").size());
    r =
        searchRuns(
            api, exp, "\"filter\":\"params.lr = '0.0001' and attributes.run_name != 'r1'\"}");
    assertEquals(ids[2], r.json().at("/runs/0/info/run_id").asText());
    Response injection =
        searchRuns(api, exp, "\"filter\":\"tags.kind = '\\\\'; drop table runs; --'\"}");
    assertEquals(400, injection.status(), injection.body());
    Response literal =
        searchRuns(api, exp, "\"filter\":\"tags.kind = \\\"'; drop table runs; --\\\"\"}");
    assertEquals(200, literal.status(), literal.body());
    assertEquals(0, literal.json().get("runs").size());
    Response like = searchRuns(api, exp, "\"filter\":\"tags.kind LIKE 's%'\"}");
    assertError(like, 400, "INVALID_PARAMETER_VALUE");
  }

  @Test
  void errorsUseMlflowCodesAndWritesNeedAToken() {
    Response missing = api.get(M + "/runs/get?run_id=0123456789abcdef0123456789abcdef");
    assertError(missing, 404, "RESOURCE_DOES_NOT_EXIST");
    Response noRun =
        api.post(
            M + "/runs/log-batch",
            "{\"run_id\":\"999999\",\"params\":[{\"key\":\"a\",\"value\":\"b\"}]}");
    assertEquals(404, noRun.status());
    Response anonymous = api.withToken(null).post(M + "/runs/create", "{\"experiment_id\":\"0\"}");
    assertError(anonymous, 401, "UNAUTHENTICATED");
    Response malformed = api.post(M + "/runs/create", "{\"experiment_id\":");
    assertError(malformed, 400, "INVALID_PARAMETER_VALUE");
    Response defaultRun = api.post(M + "/runs/create", "{\"experiment_id\":\"0\"}");
    assertEquals(200, defaultRun.status(), defaultRun.body());
    assertEquals("0", defaultRun.json().at("/run/info/experiment_id").asText());
  }

  /** A new experiment's id. */
  static String newExperiment(String name) {
    return api.post(M + "/experiments/create", "{\"name\":\"" + name + "\"}")
        .json()
        .get("experiment_id")
        .asText();
  }

  static String newRun(String experimentName) {
    String exp = newExperiment(experimentName);
    return api.post(M + "/runs/create", "{\"experiment_id\":\"" + exp + "\"}")
        .json()
        .at("/run/info/run_id")
        .asText();
  }

  static String metrics(int n, boolean timestamps) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "" : ",")
          .append("{\"key\":\"m\",\"value\":")
          .append(i)
          .append(timestamps ? ",\"timestamp\":1767225600000" : "")
          .append(",\"step\":")
          .append(i)
          .append("}");
    }
    return sb.append("]").toString();
  }

  static String keyValues(String prefix, int n) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "" : ",").append("{\"key\":\"" + prefix + i + "\",\"value\":\"v\"}");
    }
    return sb.append("]").toString();
  }

  /** runs/search in experiment {@code exp}; {@code more} is the request's other fields. */
  static Response searchRuns(Api a, String exp, String more) {
    return a.post(M + "/runs/search", "{\"experiment_ids\":[\"" + exp + "\"]," + more);
  }

  /** An MLflow error: the HTTP status and MLflow's error_code. */
  static void assertError(Response r, int status, String code) {
    assertEquals(status, r.status(), r.body());
    assertEquals(code, r.json().get("error_code").asText(), r.body());
  }

  static void assertInvalid(Response r, String messagePart) {
    assertError(r, 400, "INVALID_PARAMETER_VALUE");
    assertTrue(r.json().get("message").asText().contains(messagePart), r.body());
  }

  @Test
  void searchingNeverCreatesAnything() {
    try (TestServer fresh = TestServer.start()) {
      Api anonymous = fresh.api.withToken(null);
      Response r = anonymous.post(M + "/experiments/search", "{}");
      assertEquals(200, r.status(), r.body());
      assertEquals(0, r.json().path("experiments").size(), r.body());
      assertEquals(200, anonymous.get(M + "/experiments/search").status());
      r = anonymous.post(M + "/runs/search", "{\"experiment_ids\":[\"0\"]}");
      assertEquals(200, r.status(), r.body());
      assertEquals(0, r.json().path("runs").size());
      // experiment 0 is there to read, as in MLflow, but only as a view
      assertEquals(
          "Default",
          anonymous
              .get(M + "/experiments/get-by-name?experiment_name=Default")
              .json()
              .at("/experiment/name")
              .asText());
      assertEquals(
          "0",
          anonymous
              .get(M + "/experiments/get?experiment_id=0")
              .json()
              .at("/experiment/experiment_id")
              .asText());
      assertEquals(0, fresh.api.get("/api/v1/projects").json().path("projects").size());
      // the first run logged to it makes it
      assertEquals(200, fresh.api.post(M + "/runs/create", "{\"experiment_id\":\"0\"}").status());
      r = anonymous.post(M + "/experiments/search", "{}");
      assertEquals("Default", r.json().at("/experiments/0/name").asText(), r.body());
    }
  }

  @Test
  void experimentSearchFiltersOrdersAndPages() {
    for (String n : new String[] {"es-b", "es-a", "es-c", "ES-D"}) {
      assertEquals(200, api.post(M + "/experiments/create", "{\"name\":\"" + n + "\"}").status());
    }
    String byName = "\"order_by\":[\"name DESC\"]";
    Response r =
        api.post(
            M + "/experiments/search",
            "{\"filter\":\"name LIKE 'es-%'\"," + byName + ",\"max_results\":2}");
    assertEquals(200, r.status(), r.body());
    assertEquals("es-c", r.json().at("/experiments/0/name").asText(), r.body());
    assertEquals("es-b", r.json().at("/experiments/1/name").asText(), r.body());
    assertEquals(2, r.json().get("experiments").size());
    String token = r.json().get("next_page_token").asText();
    r =
        api.post(
            M + "/experiments/search",
            "{\"filter\":\"name LIKE 'es-%'\","
                + byName
                + ",\"max_results\":2,\"page_token\":\""
                + token
                + "\"}");
    assertEquals(1, r.json().get("experiments").size(), r.body());
    assertEquals("es-a", r.json().at("/experiments/0/name").asText());
    assertFalse(r.json().has("next_page_token"), r.body());

    r = api.post(M + "/experiments/search", "{\"filter\":\"attribute.name ILIKE 'es-%'\"}");
    assertEquals(4, r.json().get("experiments").size(), r.body());
    // the default order is newest first
    assertEquals("ES-D", r.json().at("/experiments/0/name").asText(), r.body());
    r =
        api.post(
            M + "/experiments/search",
            "{\"filter\":\"name = 'es-a' and creation_time > 0\",\"view_type\":\"ALL\"}");
    assertEquals(1, r.json().get("experiments").size(), r.body());
    r =
        api.get(
            M
                + "/experiments/search?max_results=1&order_by="
                + q("name ASC")
                + "&filter="
                + q("name LIKE 'es-%'"));
    assertEquals(200, r.status(), r.body());
    assertEquals("es-a", r.json().at("/experiments/0/name").asText(), r.body());
    assertTrue(r.json().has("next_page_token"), r.body());
    r = api.post(M + "/experiments/search", "{\"view_type\":\"DELETED_ONLY\"}");
    assertEquals(0, r.json().path("experiments").size(), r.body());

    assertInvalid(api.post(M + "/experiments/search", "{\"view_type\":\"SOME\"}"), "view_type");
    assertInvalid(api.post(M + "/experiments/search", "{\"max_results\":0}"), "max_results");
    assertInvalid(api.post(M + "/experiments/search", "{\"filter\":\"name > 'a'\"}"), "filter");
    assertInvalid(api.post(M + "/experiments/search", "{\"filter\":\"owner = 'a'\"}"), "filter");
    assertInvalid(
        api.post(M + "/experiments/search", "{\"order_by\":[\"name sideways\"]}"), "order_by");
    // a quote inside a value is data, never SQL
    r =
        api.post(
            M + "/experiments/search",
            "{\"filter\":\"name = \\\"x'; drop table projects; --\\\"\"}");
    assertEquals(200, r.status(), r.body());
    assertEquals(0, r.json().path("experiments").size());
  }

  @Test
  void badOrderByIsNotAFilterError() {
    Response r =
        api.post(
            M + "/runs/search",
            "{\"experiment_ids\":[\"0\"],\"order_by\":[\"metrics.loss sideways\"]}");
    assertInvalid(r, "order_by");
    assertFalse(r.json().get("message").asText().contains("filter"), r.body());
    assertInvalid(
        api.post(M + "/runs/search", "{\"experiment_ids\":[\"0\"],\"run_view_type\":\"X\"}"),
        "run_view_type");
  }

  @Test
  void logBatchKeepsMlflowLimits() {
    String run = newRun("limits");
    String pre = "{\"run_id\":\"" + run + "\",";
    assertInvalid(
        api.post(M + "/runs/log-batch", pre + "\"metrics\":" + metrics(1001, true) + "}"),
        "at most 1000 metrics");
    assertInvalid(
        api.post(M + "/runs/log-batch", pre + "\"params\":" + keyValues("p", 101) + "}"),
        "at most 100 params");
    assertInvalid(
        api.post(M + "/runs/log-batch", pre + "\"tags\":" + keyValues("t", 101) + "}"),
        "at most 100 tags");
    assertInvalid(
        api.post(
            M + "/runs/log-batch",
            pre + "\"metrics\":" + metrics(950, true) + ",\"params\":" + keyValues("p", 51) + "}"),
        "in total");
    // MLflow requires each metric's timestamp; the rejected batch writes nothing, params included
    assertInvalid(
        api.post(
            M + "/runs/log-batch",
            pre + "\"metrics\":" + metrics(2, false) + ",\"params\":" + keyValues("q", 1) + "}"),
        "timestamp");
    assertInvalid(
        api.post(M + "/runs/log-metric", pre + "\"key\":\"m\",\"value\":1,\"step\":0}"),
        "timestamp");
    JsonNode data = api.get(M + "/runs/get?run_id=" + run).json().at("/run/data");
    assertEquals(0, data.get("params").size(), data.toString());
    assertEquals(0, data.get("metrics").size(), data.toString());

    Response atLimits =
        api.post(
            M + "/runs/log-batch",
            pre
                + "\"metrics\":"
                + metrics(800, true)
                + ",\"params\":"
                + keyValues("p", 100)
                + ",\"tags\":"
                + keyValues("t", 100)
                + "}");
    assertEquals(200, atLimits.status(), atLimits.body());
    assertEquals(
        800,
        api.get(M + "/metrics/get-history?run_id=" + run + "&metric_key=m")
            .json()
            .get("metrics")
            .size());
  }

  @Test
  void paramAndTagValuesMustBeStrings() {
    String run = newRun("strings");
    String pre = "{\"run_id\":\"" + run + "\",";
    assertInvalid(
        api.post(M + "/runs/log-parameter", pre + "\"key\":\"lr\",\"value\":0.001}"), "value");
    assertInvalid(api.post(M + "/runs/set-tag", pre + "\"key\":\"ok\",\"value\":true}"), "value");
    assertInvalid(
        api.post(M + "/runs/log-batch", pre + "\"params\":[{\"key\":\"n\",\"value\":3}]}"),
        "value");
    assertEquals(
        200,
        api.post(M + "/runs/log-parameter", pre + "\"key\":\"lr\",\"value\":\"0.001\"}").status());
  }

  @Test
  void unknownRoutesAreEndpointNotFound() {
    for (Response r :
        new Response[] {
          api.get(M + "/runs/no-such-thing?run_id=1"),
          api.post(M + "/experiments/rename", "{}"),
          api.get(M + "/runs/create"),
          api.get("/ajax-api/2.0/mlflow/nothing")
        }) {
      assertError(r, 404, "ENDPOINT_NOT_FOUND");
    }
    // a missing resource stays RESOURCE_DOES_NOT_EXIST
    Response missing = api.get(M + "/runs/get?run_id=999999");
    assertEquals("RESOURCE_DOES_NOT_EXIST", missing.json().get("error_code").asText());
  }
}
