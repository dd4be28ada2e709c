package io.liandan.tracker.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * HTTP to the tracker on the JDK's HttpClient, and what a reply means for a retry: 2xx done; 429,
 * 5xx and network errors retried with backoff; any other 4xx final (the batch is rejected).
 */
final class Transport {
  /** A reply, or a network failure ({@code status} −1, {@code body} the exception). */
  record Reply(int status, String body) {
    boolean ok() {
      return status >= 200 && status < 300;
    }

    boolean retryable() {
      return status < 0 || status == 429 || status >= 500;
    }

    @Override
    public String toString() {
      return (status < 0 ? "no reply" : "HTTP " + status) + ": " + body;
    }
  }

  private final HttpClient http;
  private final TrackerClientConfig config;

  Transport(TrackerClientConfig config) {
    this.config = config;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(config.requestTimeout())
            .build();
  }

  /** Never throws for network trouble; {@code inflight} lets a closing client abandon the wait. */
  Reply send(String method, String path, byte[] body, InFlight inflight) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(config.baseUrl() + "/api/v1" + path))
            .timeout(config.requestTimeout())
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    if (config.token() != null) {
      b.header("Authorization", "Bearer " + config.token());
    }
    CompletableFuture<HttpResponse<String>> f =
        http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (inflight != null) {
      inflight.future = f;
    }
    try {
      HttpResponse<String> r = f.get();
      return new Reply(r.statusCode(), r.body());
    } catch (ExecutionException e) {
      Throwable c = e.getCause() == null ? e : e.getCause();
      return new Reply(-1, c.getClass().getSimpleName() + ": " + c.getMessage());
    } catch (CancellationException e) {
      return new Reply(-1, "cancelled: the client is closing");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.cancel(true);
      return new Reply(-1, "interrupted");
    } finally {
      if (inflight != null) {
        inflight.future = null;
      }
    }
  }

  /** The request a sender is waiting on, so that {@code close()} can give up on it. */
  static final class InFlight {
    volatile CompletableFuture<?> future;

    void cancel() {
      CompletableFuture<?> f = future;
      if (f != null) {
        f.cancel(true);
      }
    }
  }

  /**
   * Exponential backoff with jitter: attempt n waits a random time in [d/2, d], d = min(max,
   * initial·2ⁿ).
   */
  static long backoffMillis(TrackerClientConfig config, int attempt) {
    long initial = Math.max(1, config.initialBackoff().toMillis());
    long cap = config.maxBackoff().toMillis();
    long d = Math.min(cap, initial << Math.min(attempt, 20));
    return d / 2 + ThreadLocalRandom.current().nextLong(d / 2 + 1);
  }
}
