package io.liandan.tracker;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.tracker.web.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** A tiny JSON client over the JDK's HttpClient for API tests. */
public final class Api {
  public record Response(int status, JsonNode json, String body) {
    public String error() {
      return json.path("error").asText();
    }

    public String field() {
      return json.path("field").isNull() ? null : json.path("field").asText(null);
    }
  }

  private final HttpClient http = HttpClient.newHttpClient();
  private final String base;
  private final String token;

  public Api(String base, String token) {
    this.base = base;
    this.token = token;
  }

  public Api withToken(String t) {
    return new Api(base, t);
  }

  public Response get(String path) {
    return send(request(path).GET());
  }

  public Response post(String path, String json) {
    return send(request(path).POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  public Response post(String path, byte[] body) {
    return send(request(path).POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  /** POST with a body of no declared length (sent chunked), as a streaming client sends it. */
  public Response postStreamed(String path, byte[] body) {
    return send(
        request(path)
            .POST(
                HttpRequest.BodyPublishers.ofInputStream(
                    () -> new java.io.ByteArrayInputStream(body))));
  }

  public Response patch(String path, String json) {
    return send(request(path).method("PATCH", HttpRequest.BodyPublishers.ofString(json)));
  }

  /** POST /api/v1/runs and the new or resumed run's id. */
  public long createRun(String json) {
    Response r = post("/api/v1/runs", json);
    if (r.status() != 201 && r.status() != 200) {
      throw new AssertionError("create run: " + r.status() + " " + r.body());
    }
    return r.json().get("id").asLong();
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private Response send(HttpRequest.Builder b) {
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode json = r.body().isEmpty() ? null : Json.MAPPER.readTree(r.body());
      return new Response(r.statusCode(), json, r.body());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
