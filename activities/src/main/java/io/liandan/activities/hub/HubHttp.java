// HTTP to the Hub and its CDN: the token only for the Hub's origin, redirects followed by hand,
// stalls cut.
package io.liandan.activities.hub;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One HttpClient with redirects turned off, because the JDK's automatic redirects would carry the
 * {@code Authorization} header to the CDN host. Here the Bearer token is added to a request only
 * when its origin (scheme, host, port) is the endpoint's, so a redirect to {@code cdn-lfs...} or
 * any other host never sees it (huggingface_hub drops it the same way; S3-signed CDN URLs even
 * reject a second credential).
 *
 * <p>The JDK's request timeout stops at the response headers; a body that stalls mid-file would
 * hang forever. So every exchange is watched: no headers or body bytes for {@code idleTimeout}
 * cancels it with an {@link HttpTimeoutException}, which callers retry like any network error.
 */
public final class HubHttp {
  private static final int MAX_REDIRECTS = 10;
  private static final String USER_AGENT = "liandan/0.1; java/" + Runtime.version().feature();

  private final HttpClient client;
  private final URI endpoint;
  private final Optional<String> token;
  private final Duration requestTimeout;
  private final Duration idleTimeout;

  public HubHttp(HubEnv env) {
    this(env, Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60));
  }

  /**
   * @param connectTimeout TCP/TLS connect
   * @param requestTimeout from sending a request to its response headers
   * @param idleTimeout longest silence while a response (headers or body) is awaited
   */
  public HubHttp(
      HubEnv env, Duration connectTimeout, Duration requestTimeout, Duration idleTimeout) {
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(connectTimeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    this.endpoint = URI.create(env.endpoint());
    this.token = env.token();
    this.requestTimeout = requestTimeout;
    this.idleTimeout = idleTimeout;
  }

  public URI endpoint() {
    return endpoint;
  }

  public boolean hasToken() {
    return token.isPresent();
  }

  /** Tells the watchdog that the exchange is alive; body subscribers call it per chunk. */
  public static final class Activity {
    private volatile long lastNanos = System.nanoTime();

    public void touch() {
      lastNanos = System.nanoTime();
    }

    long idleNanos() {
      return System.nanoTime() - lastNanos;
    }
  }

  /**
   * Sends a request and follows redirects (relative or absolute) up to 10 hops, re-deciding the
   * token per hop. With {@code crossOrigin} false a redirect to another origin is not followed but
   * returned, as huggingface_hub's {@code follow_relative_redirects} does for metadata requests
   * (the Hub's 302 to the CDN carries the file's ETag and size).
   *
   * <p>The handler sees only the final response; redirect bodies are discarded.
   */
  public <T> HttpResponse<T> send(
      String method,
      URI uri,
      Map<String, String> headers,
      BodyHandler<T> handler,
      boolean crossOrigin,
      Activity activity)
      throws IOException {
    URI target = uri;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(target)
              .timeout(requestTimeout)
              .method(method, HttpRequest.BodyPublishers.noBody())
              .header("User-Agent", USER_AGENT);
      headers.forEach(b::header);
      if (token.isPresent() && sameOrigin(target, endpoint))
        b.header("Authorization", "Bearer " + token.get());
      BodyHandler<T> watched =
          info -> {
            activity.touch();
            return isRedirect(info.statusCode())
                    && info.headers().firstValue("Location").isPresent()
                ? BodySubscribers.replacing(null)
                : handler.apply(info);
          };
      activity.touch();
      HttpResponse<T> response = await(client.sendAsync(b.build(), watched), activity, target);
      Optional<String> location = response.headers().firstValue("Location");
      if (!isRedirect(response.statusCode()) || location.isEmpty()) return response;
      URI next;
      try {
        next = target.resolve(location.get());
      } catch (IllegalArgumentException e) {
        throw new HubException(
            HubException.Reason.PROTOCOL,
            "bad redirect Location '" + location.get() + "' from " + target,
            e);
      }
      if (!crossOrigin && !sameOrigin(next, target)) return response;
      if (response.statusCode() == 303) method = "GET";
      target = next;
    }
    throw new HubException(
        HubException.Reason.PROTOCOL, "more than " + MAX_REDIRECTS + " redirects from " + uri);
  }

  private <T> HttpResponse<T> await(
      CompletableFuture<HttpResponse<T>> future, Activity activity, URI target) throws IOException {
    long pollMillis = Math.max(10, Math.min(1000, idleTimeout.toMillis() / 4));
    while (true) {
      try {
        return future.get(pollMillis, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        if (activity.idleNanos() > idleTimeout.toNanos()) {
          future.cancel(true); // since JDK 16 this aborts the exchange and its connection
          throw new HttpTimeoutException(
              "no data from " + target.getHost() + " for " + idleTimeout.toMillis() + " ms");
        }
      } catch (InterruptedException e) {
        future.cancel(true);
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while talking to " + target.getHost());
      } catch (ExecutionException e) {
        throw rethrow(e.getCause());
      }
    }
  }

  // Network failures stay IOExceptions (callers retry them); failures of our own code (a local
  // disk error in a body subscriber, a HubException) come out as they were thrown.
  private static IOException rethrow(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) t = t.getCause();
    if (t instanceof IOException io) return io;
    if (t instanceof RuntimeException r) throw r;
    if (t instanceof Error err) throw err;
    return new IOException(t);
  }

  static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  /** 408, 429 and 5xx: the server may answer differently if asked again later. */
  static boolean isTransient(int status) {
    return status == 408 || status == 429 || status >= 500;
  }

  static boolean sameOrigin(URI a, URI b) {
    return a.getScheme().equalsIgnoreCase(b.getScheme())
        && a.getHost() != null
        && a.getHost().equalsIgnoreCase(b.getHost())
        && port(a) == port(b);
  }

  private static int port(URI u) {
    if (u.getPort() >= 0) return u.getPort();
    return u.getScheme().toLowerCase(Locale.ROOT).equals("https") ? 443 : 80;
  }

  /**
   * The HubException for a 4xx/5xx answer, phrased for the user: what was asked ({@code subject},
   * e.g. "model org/name at revision main"), what the Hub said (its X-Error-Code and
   * X-Error-Message headers) and what to do about it.
   */
  HubException failure(HttpResponse<?> r, String subject, String repoPage) {
    int status = r.statusCode();
    String code = r.headers().firstValue("X-Error-Code").orElse("");
    String said = (code + " " + r.headers().firstValue("X-Error-Message").orElse("")).strip();
    String detail = "HTTP " + status + (said.isEmpty() ? "" : ", " + said);
    if (status == 401 || status == 403) {
      String advice;
      if (token.isEmpty())
        advice =
            "The repo is gated or private (or does not exist): set HF_TOKEN to an access token of"
                + " a Hugging Face account that has accepted the repo's license at "
                + repoPage;
      else if (status == 401)
        advice =
            "HF_TOKEN is set but the Hub rejected it: check that it is a valid, unexpired token,"
                + " and that its account has accepted the repo's license at "
                + repoPage;
      else
        advice =
            "HF_TOKEN is set but its account has no access: accept the license (or request"
                + " access) at "
                + repoPage
                + " with that account";
      return new HubException(
          HubException.Reason.ACCESS_DENIED,
          "Access to " + subject + " was denied (" + detail + "). " + advice + ".");
    }
    if (status == 404) {
      String what =
          switch (code) {
            case "RevisionNotFound" -> "revision not found";
            case "EntryNotFound" -> "file not found";
            case "RepoNotFound" -> "repo not found";
            default -> "not found";
          };
      return new HubException(
          HubException.Reason.NOT_FOUND,
          subject
              + ": "
              + what
              + " on "
              + endpoint
              + " ("
              + detail
              + "); check the repo id and revision");
    }
    return new HubException(
        isTransient(status) ? HubException.Reason.NETWORK : HubException.Reason.PROTOCOL,
        subject + ": unexpected answer from " + r.uri() + " (" + detail + ")");
  }

  /** Wraps a local-disk failure raised inside a body subscriber. */
  static HubException localIo(String what, UncheckedIOException e) {
    return new HubException(
        HubException.Reason.LOCAL_IO, what + ": " + e.getCause().getMessage(), e.getCause());
  }
}
