package io.liandan.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.tracker.Api.Response;
import org.junit.jupiter.api.Test;

/**
 * Input is stored exactly as sent or rejected with a 400 naming the field (its JSON path): no
 * coercion, no truncation, no trimming, no replaced characters, no silent Infinity, bounded
 * objects; and no error names a Java class.
 */
class StrictInputTest extends ServerTest {
  static void assertBad(Response r, String field) {
    String body = r.body().length() > 300 ? r.body().substring(0, 300) + "…" : r.body();
    assertEquals(400, r.status(), body);
    assertEquals(field, r.field(), body);
    assertTrue(r.error().contains(field), "the message names the field: " + r.error());
    assertNoClassNames(r);
  }

  static void assertNoClassNames(Response r) {
    for (String leak : new String[] {"io.liandan", "java.", "jackson", "`", "Exception"}) {
      assertFalse(r.body().contains(leak), "error text names a class (" + leak + "): " + r.body());
    }
  }

  private static Response points(long run, String pointsJson) {
    return api.post("/api/v1/runs/" + run + "/metrics", "{\"points\":[" + pointsJson + "]}");
  }

  @Test
  void stepsAreIntegersOnly() {
    long run = api.createRun("{\"project\":\"strict\"}");
    assertEquals(200, points(run, "{\"key\":\"loss\",\"step\":1,\"value\":5}").status());
    assertBad(points(run, "{\"key\":\"loss\",\"step\":1.9,\"value\":7}"), "points[0].step");
    assertBad(points(run, "{\"key\":\"loss\",\"step\":1.0,\"value\":7}"), "points[0].step");
    assertBad(points(run, "{\"key\":\"loss\",\"step\":\"7\",\"value\":7}"), "points[0].step");
    assertBad(points(run, "{\"key\":\"loss\",\"step\":true,\"value\":7}"), "points[0].step");
    assertBad(points(run, "{\"key\":\"loss\",\"step\":2,\"value\":\"7\"}"), "points[0].value");
    Response s = api.get("/api/v1/runs/" + run + "/metrics?key=loss");
    assertEquals("[[1,5.0]]", s.json().get("points").toString(), "step 1 kept its value");
  }

  @Test
  void numbersBeyondDoubleAreRejectedNotInfinity() {
    long run = api.createRun("{\"project\":\"strict\"}");
    assertBad(points(run, "{\"key\":\"loss\",\"step\":1,\"value\":1e309}"), "points[0].value");
    assertBad(points(run, "{\"key\":\"loss\",\"step\":1,\"value\":-1e309}"), "points[0].value");
    assertBad(
        points(run, "{\"key\":\"loss\",\"step\":1,\"value\":1" + "0".repeat(400) + "}"),
        "points[0].value");
    assertBad(
        api.post("/api/v1/runs", "{\"project\":\"strict\",\"config\":{\"lr\":1e309}}"),
        "config.lr");
    // Python's json.dumps writes these tokens on purpose: they stay accepted
    assertEquals(200, points(run, "{\"key\":\"loss\",\"step\":1,\"value\":Infinity}").status());
    assertEquals(200, points(run, "{\"key\":\"loss\",\"step\":2,\"value\":1e308}").status());
  }

  @Test
  void stringsAreNotCoercedFromOtherTypes() {
    assertBad(api.post("/api/v1/runs", "{\"project\":123}"), "project");
    assertBad(api.post("/api/v1/runs", "{\"project\":true}"), "project");
    assertBad(api.post("/api/v1/runs", "{\"project\":\"p\",\"name\":1.5}"), "name");
    assertBad(api.post("/api/v1/runs", "{\"project\":\"p\",\"tags\":[\"a\",2]}"), "tags[1]");
    long run = api.createRun("{\"project\":\"strict\"}");
    assertBad(points(run, "{\"key\":7,\"step\":1,\"value\":1}"), "points[0].key");
  }

  @Test
  void keysAreStoredExactlyOrRejected() {
    long run = api.createRun("{\"project\":\"strict\"}");
    assertBad(points(run, "{\"key\":\"  lead\",\"step\":1,\"value\":1}"), "points[0].key");
    assertBad(points(run, "{\"key\":\"lead \",\"step\":1,\"value\":1}"), "points[0].key");
    assertBad(api.post("/api/v1/runs", "{\"project\":\" strict\"}"), "project");
    assertBad(api.post("/api/v1/runs", "{\"project\":\"strict\",\"key\":\"  lead\"}"), "key");
    assertEquals(0, api.get("/api/v1/runs/" + run + "/metrics/keys").json().get("keys").size());
    // inside a name, whitespace is kept as sent; notes are free text, kept whole
    Response r =
        api.post(
            "/api/v1/runs",
            "{\"project\":\"strict\",\"name\":\"a  b\",\"notes\":\"  indented\\n\"}");
    assertEquals(201, r.status(), r.body());
    assertEquals("a  b", r.json().get("name").asText());
    assertEquals("  indented\n", r.json().get("notes").asText());
  }

  @Test
  void loneSurrogatesAreRejectedNotReplaced() {
    assertBad(api.post("/api/v1/runs", "{\"project\":\"x\\ud800\"}"), "project");
    assertBad(
        api.post("/api/v1/runs", "{\"project\":\"strict\",\"config\":{\"k\":\"\\udc00\"}}"),
        "config.k");
    Response key =
        api.post("/api/v1/runs", "{\"project\":\"strict\",\"config\":{\"a\":{\"\\ud800\":1}}}");
    assertBad(key, "config.a");
    long run = api.createRun("{\"project\":\"strict\"}");
    assertBad(points(run, "{\"key\":\"l\\ud83d\",\"step\":1,\"value\":1}"), "points[0].key");
    // a proper pair is a character like any other, stored as sent
    Response pair =
        api.post("/api/v1/runs", "{\"project\":\"strict\",\"name\":\"\\ud83d\\ude00\"}");
    assertEquals(201, pair.status(), pair.body());
    assertEquals("\uD83D\uDE00", pair.json().get("name").asText());
  }

  @Test
  void configSummaryAndLabelsAreBounded() {
    StringBuilder many = new StringBuilder("{");
    for (int i = 0; i <= Limits.MAX_OBJECT_KEYS; i++) {
      many.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":1");
    }
    String tooManyKeys = many.append("}").toString();
    Response r =
        api.post("/api/v1/runs", "{\"project\":\"strict\",\"config\":" + tooManyKeys + "}");
    assertBad(r, "config");
    assertTrue(r.error().contains(String.valueOf(Limits.MAX_OBJECT_KEYS)), r.error());
    String big = "{\"blob\":\"" + "x".repeat(Limits.MAX_OBJECT_BYTES) + "\"}";
    assertBad(
        api.post("/api/v1/runs", "{\"project\":\"strict\",\"labels\":" + big + "}"), "labels");

    long run = api.createRun("{\"project\":\"strict\"}");
    assertBad(api.patch("/api/v1/runs/" + run, "{\"summary\":" + tooManyKeys + "}"), "summary");
    // each patch fits, but the merged object would not: rejected, nothing stored
    String half = "\"" + "y".repeat(Limits.MAX_OBJECT_BYTES / 2 + 10) + "\"";
    assertEquals(
        200, api.patch("/api/v1/runs/" + run, "{\"config\":{\"a\":" + half + "}}").status());
    assertBad(api.patch("/api/v1/runs/" + run, "{\"config\":{\"b\":" + half + "}}"), "config");
    assertTrue(api.get("/api/v1/runs/" + run).json().at("/config/b").isMissingNode());

    // nor may many small patches build more keys than one request may carry (nested keys count)
    long keyed = api.createRun("{\"project\":\"strict\"}");
    int perPatch = Limits.MAX_OBJECT_KEYS / 4;
    for (int p = 0; p < 4; p++) {
      assertEquals(
          200,
          api.patch("/api/v1/runs/" + keyed, "{\"summary\":" + keys("p" + p, perPatch) + "}")
              .status());
    }
    Response over = api.patch("/api/v1/runs/" + keyed, "{\"summary\":{\"deep\":[{\"x\":1}]}}");
    assertBad(over, "summary");
    assertTrue(over.error().contains("keys"), over.error());
    assertTrue(api.get("/api/v1/runs/" + keyed).json().at("/summary/deep").isMissingNode());
    // replacing a key adds none: still accepted at the bound
    assertEquals(200, api.patch("/api/v1/runs/" + keyed, "{\"summary\":{\"p0k0\":2}}").status());
  }

  /** One object of {@code n} keys {prefix}k0 … at the top level, each {@code 1}. */
  private static String keys(String prefix, int n) {
    StringBuilder b = new StringBuilder("{");
    for (int i = 0; i < n; i++) {
      b.append(i == 0 ? "" : ",").append('"').append(prefix).append('k').append(i).append("\":1");
    }
    return b.append('}').toString();
  }

  @Test
  void errorsNeverNameJavaClasses() {
    for (String body :
        new String[] {
          "[1]",
          "\"run\"",
          "{\"project\":{\"a\":1}}",
          "{\"project\":[\"a\"]}",
          "{\"project\":\"p\",\"tags\":{\"a\":1}}",
          "{\"project\":\"p\",\"config\":" + "[".repeat(Limits.MAX_JSON_DEPTH + 5) + "}",
        }) {
      Response r = api.post("/api/v1/runs", body);
      assertEquals(400, r.status(), body + " → " + r.body());
      assertNoClassNames(r);
    }
    long run = api.createRun("{\"project\":\"strict\"}");
    for (String body :
        new String[] {"{\"points\":{}}", "{\"points\":[1]}", "{\"points\":[{\"step\":[1]}]}"}) {
      Response r = api.post("/api/v1/runs/" + run + "/metrics", body);
      assertEquals(400, r.status(), body + " → " + r.body());
      assertNoClassNames(r);
    }
    Response deep =
        api.post(
            "/api/v1/runs",
            "{\"project\":\"p\",\"config\":"
                + "{\"a\":".repeat(Limits.MAX_JSON_DEPTH + 1)
                + "1"
                + "}".repeat(Limits.MAX_JSON_DEPTH + 2));
    assertEquals(400, deep.status(), deep.body());
    assertTrue(deep.error().contains("nested deeper than " + Limits.MAX_JSON_DEPTH), deep.body());
  }
}
