package io.liandan.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.liandan.tracker.Api.Response;
import org.junit.jupiter.api.Test;

class SampleArtifactTest extends ServerTest {
  @Test
  void samplesAppendOrRewriteAtAnOffset() {
    long run = api.createRun("{\"project\":\"s\"}");
    String path = "/api/v1/runs/" + run + "/samples";
    Response first =
        api.post(
            path,
            """
            {"table":"eval","step":100,"rows":[{"prompt":"hi","completion":"yo"},
                                               {"prompt":"2+2","completion":"4","reward":1.0}]}""");
    assertEquals(201, first.status(), first.body());
    assertEquals(0, first.json().get("firstIndex").asInt());
    Response second = api.post(path, "{\"table\":\"eval\",\"rows\":[{\"prompt\":\"x\"}]}");
    assertEquals(2, second.json().get("firstIndex").asInt());
    // a retried request at an explicit offset rewrites, never duplicates
    api.post(path, "{\"table\":\"eval\",\"offset\":2,\"rows\":[{\"prompt\":\"x2\"}]}");
    api.post(path, "{\"table\":\"eval\",\"offset\":2,\"rows\":[{\"prompt\":\"x2\"}]}");
    Response rows = api.get(path + "?table=eval");
    assertEquals(3, rows.json().get("rows").size(), rows.body());
    assertEquals("4", rows.json().at("/rows/1/data/completion").asText());
    assertEquals(100, rows.json().at("/rows/1/step").asInt());
    assertEquals("x2", rows.json().at("/rows/2/data/prompt").asText());
    assertEquals("[{\"name\":\"eval\",\"rows\":3}]", api.get(path).json().get("tables").toString());
    Response bad = api.post(path, "{\"table\":\"eval\",\"rows\":[1]}");
    assertEquals(400, bad.status());
    assertEquals("rows[0]", bad.field());
    assertEquals(
        404, api.post("/api/v1/runs/999999/samples", "{\"table\":\"t\",\"rows\":[{}]}").status());
  }

  @Test
  void artifactsCarryLineage() {
    long producer = api.createRun("{\"project\":\"a\",\"jobType\":\"sft\"}");
    long consumer = api.createRun("{\"project\":\"a\",\"jobType\":\"dpo\"}");
    String sha = "ab".repeat(32);
    String body =
        "{\"name\":\"sft-adapter\",\"type\":\"lora\",\"uri\":\"file:///art/3f2a\",\"sha256\":\""
            + sha
            + "\",\"size\":1234,\"metadata\":{\"r\":8}}";
    Response logged = api.post("/api/v1/runs/" + producer + "/artifacts", body);
    assertEquals(201, logged.status(), logged.body());
    long artifact = logged.json().get("id").asLong();
    assertEquals(producer, logged.json().get("producerRunId").asLong());
    Response again =
        api.post("/api/v1/runs/" + producer + "/artifacts", body.replace("1234", "1235"));
    assertEquals(200, again.status());
    assertEquals(artifact, again.json().get("id").asLong());
    assertEquals(1235, again.json().get("size").asInt());

    Response used =
        api.post("/api/v1/runs/" + consumer + "/artifacts/used", "{\"uri\":\"file:///art/3f2a\"}");
    assertEquals(200, used.status(), used.body());
    api.post("/api/v1/runs/" + consumer + "/artifacts/used", "{\"artifactId\":" + artifact + "}");
    Response lineage = api.get("/api/v1/artifacts/" + artifact);
    assertEquals("[" + consumer + "]", lineage.json().get("usedBy").toString());
    Response ofConsumer = api.get("/api/v1/runs/" + consumer + "/artifacts");
    assertEquals(artifact, ofConsumer.json().at("/used/0/id").asLong());
    assertEquals(0, ofConsumer.json().get("produced").size());

    Response badSha =
        api.post(
            "/api/v1/runs/" + producer + "/artifacts",
            "{\"name\":\"x\",\"type\":\"t\",\"uri\":\"u\",\"sha256\":\"xyz\"}");
    assertEquals(400, badSha.status());
    assertEquals("sha256", badSha.field());
    Response missing =
        api.post("/api/v1/runs/" + consumer + "/artifacts/used", "{\"artifactId\":999999}");
    assertEquals(404, missing.status());
    assertEquals("artifactId", missing.field());
  }
}
