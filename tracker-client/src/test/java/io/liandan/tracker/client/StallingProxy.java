package io.liandan.tracker.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reverse proxy in front of a test tracker that holds every metrics request unanswered until
 * {@link #release} (a tracker too slow to acknowledge before the client is killed), then forwards
 * it: the server stores a batch whose sender never heard back. Other requests pass straight
 * through.
 */
final class StallingProxy implements AutoCloseable {
  private final String target;
  private final HttpServer server;
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final CountDownLatch released = new CountDownLatch(1);
  private final AtomicInteger held = new AtomicInteger();
  private final AtomicInteger stored = new AtomicInteger();

  StallingProxy(String target) throws IOException {
    this.target = target;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(pool);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Metrics requests waiting so far. */
  int held() {
    return held.get();
  }

  /** Held requests the tracker answered with 2xx after {@link #release}. */
  int stored() {
    return stored.get();
  }

  void release() {
    released.countDown();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] body = ex.getRequestBody().readAllBytes();
      boolean metrics = ex.getRequestURI().getPath().endsWith("/metrics");
      if (metrics) {
        held.incrementAndGet();
        released.await();
      }
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(target + ex.getRequestURI()))
              .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
      for (String h : new String[] {"Authorization", "Content-Type"}) {
        String v = ex.getRequestHeaders().getFirst(h);
        if (v != null) {
          b.header(h, v);
        }
      }
      HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      if (metrics && r.statusCode() / 100 == 2) {
        stored.incrementAndGet();
      }
      ex.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(r.body());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // the client is gone (killed): what matters is that the tracker got the request
    }
  }

  @Override
  public void close() {
    release();
    server.stop(0);
    pool.shutdownNow();
  }
}
