package io.liandan.tracker;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A quick ingestion measurement, not a test and not the benchmark: a tracker on an embedded
 * PostgreSQL in a temporary folder, 8 runs logging batches of 1,000 points concurrently over HTTP
 * from this same process (bodies pre-serialised, so the client costs little). Prints points/s.
 *
 * <p>Then reads: one series of 1,000,000 points, downsampled to 1,000 points, 50 times (latency
 * percentiles over HTTP).
 *
 * <pre>java -cp tracker/target/test-classes:tracker/target/classes:$(deps) \
 *   io.liandan.tracker.IngestionMeasure [runs=8] [batches per run=100] [history points=1000000]
 * </pre>
 */
public final class IngestionMeasure {
  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int batches = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    int history = args.length > 2 ? Integer.parseInt(args[2]) : 1_000_000;
    int size = 1_000;
    Path dir = Files.createTempDirectory("liandan-ingest");
    TrackerConfig config = TrackerConfig.defaults().withPort(0).withDataDir(dir.resolve("pg"));
    try (TrackerServer server = TrackerServer.start(config)) {
      double rate = pointsPerSecond(server, runs, batches, size);
      long points = (long) runs * batches * size;
      System.out.printf(
          "%d runs × %d batches × %d points = %,d points: %,.0f points/s (%,.0f batches/s)%n",
          runs, batches, size, points, rate, rate / size);
      reads(new Api(server.url(), server.tokens().create("reads").token()), history);
    }
  }

  /**
   * {@code runs} runs each posting {@code batches} batches of {@code size} points at once (one
   * thread a run, after one warm-up batch each); the points acknowledged per second.
   */
  static double pointsPerSecond(TrackerServer server, int runs, int batches, int size)
      throws Exception {
    String token = server.tokens().create("measure").token();
    Api api = new Api(server.url(), token);
    HttpClient http = HttpClient.newHttpClient();
    List<Long> ids = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      ids.add(api.createRun("{\"project\":\"ingest\",\"name\":\"run-" + r + "\"}"));
    }
    round(http, server.url(), token, ids, 0, 1, size);
    long t0 = System.nanoTime();
    round(http, server.url(), token, ids, 1, batches, size);
    double s = (System.nanoTime() - t0) / 1e9;
    return (double) runs * batches * size / s;
  }

  private static void reads(Api api, int history) {
    long run = api.createRun("{\"project\":\"ingest\",\"name\":\"long\"}");
    for (int from = 0; from < history; from += Limits.MAX_POINTS_PER_BATCH) {
      StringJoiner j = new StringJoiner(",", "{\"points\":[", "]}");
      for (int step = from; step < Math.min(history, from + Limits.MAX_POINTS_PER_BATCH); step++) {
        j.add("{\"key\":\"loss\",\"step\":" + step + ",\"value\":" + Math.sin(step) + "}");
      }
      api.post("/api/v1/runs/" + run + "/metrics", j.toString());
    }
    String path = "/api/v1/runs/" + run + "/metrics?key=loss&maxPoints=1000";
    for (int i = 0; i < 5; i++) {
      api.get(path);
    }
    long[] nanos = new long[50];
    int size = 0;
    for (int i = 0; i < nanos.length; i++) {
      long t0 = System.nanoTime();
      size = api.get(path).json().get("points").size();
      nanos[i] = System.nanoTime() - t0;
    }
    java.util.Arrays.sort(nanos);
    System.out.printf(
        "downsampled read of %,d points to %d: p50 %.1f ms, p95 %.1f ms, max %.1f ms%n",
        history,
        size,
        nanos[nanos.length / 2] / 1e6,
        nanos[(int) (nanos.length * 0.95)] / 1e6,
        nanos[nanos.length - 1] / 1e6);
  }

  private static void round(
      HttpClient http, String base, String token, List<Long> ids, int from, int batches, int size)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(ids.size());
    List<Future<?>> futures = new ArrayList<>();
    for (long id : ids) {
      futures.add(
          pool.submit(
              () -> {
                for (int b = from; b < from + batches; b++) {
                  HttpRequest req =
                      HttpRequest.newBuilder(URI.create(base + "/api/v1/runs/" + id + "/metrics"))
                          .header("Authorization", "Bearer " + token)
                          .header("Content-Type", "application/json")
                          .POST(HttpRequest.BodyPublishers.ofString(body(b, size)))
                          .build();
                  HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                  if (r.statusCode() != 200) {
                    throw new IllegalStateException(r.statusCode() + " " + r.body());
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();
  }

  /**
   * Batch b: steps b*size/4 … with four keys (train/loss, train/lr, train/grad_norm, system/gpu).
   */
  private static String body(int b, int size) {
    String[] keys = {"train/loss", "train/lr", "train/grad_norm", "system/gpu_util"};
    StringJoiner j = new StringJoiner(",", "{\"points\":[", "]}");
    int perKey = size / keys.length;
    for (String key : keys) {
      for (int i = 0; i < perKey; i++) {
        long step = (long) b * perKey + i;
        j.add(
            "{\"key\":\"" + key + "\",\"step\":" + step + ",\"value\":" + (1.0 / (step + 1)) + "}");
      }
    }
    return j.toString();
  }
}
