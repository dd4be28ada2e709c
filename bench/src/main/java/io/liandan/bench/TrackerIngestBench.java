package io.liandan.bench;

import static io.liandan.bench.BenchArgs.intArg;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.tracker.client.RunHandle;
import io.liandan.tracker.client.RunSpec;
import io.liandan.tracker.client.TrackerClient;
import io.liandan.tracker.client.TrackerClientConfig;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The tracker's ingestion benchmark (issue 5): the tracker server with its embedded PostgreSQL in a
 * child JVM ({@code java -cp … io.liandan.tracker.TrackerServer}, temporary data folder, free
 * port), and in this JVM {@code runs} concurrent runs logging through {@link TrackerClient} as fast
 * as the client takes points for {@code seconds}. Reports the points/s the server acknowledged,
 * then the latency of {@code GET …/metrics?maxPoints=1000} on a 1,000,000-point series.
 *
 * <p>"As fast as it can" is bounded by the tracker: a producer pauses while its run has more than
 * {@code backlog} points not yet acknowledged, as a training loop faster than the tracker would
 * otherwise fill the disk buffer (which is tested elsewhere, not measured here).
 *
 * <pre>mvn -q -pl bench -am install -DskipTests
 * mvn -q -pl bench exec:java -Dbench.main=io.liandan.bench.TrackerIngestBench [-Dexec.args="8 20 5000"]
 * </pre>
 */
public final class TrackerIngestBench {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    int runs = intArg(args, 0, 8);
    int seconds = intArg(args, 1, 20);
    int batch = intArg(args, 2, 5_000);
    int history = intArg(args, 3, 1_000_000);
    long backlog = 4L * batch;
    Path home = Files.createTempDirectory("liandan-ingest-bench");
    int port = freePort();
    System.out.printf(
        "machine: %d cores, java %s; %d runs, %d s, batches of %,d points%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"),
        runs,
        seconds,
        batch);

    String token = trackerCommand(home, port, "token", "create", "bench").waitForToken();
    TrackerProcess server = trackerCommand(home, port);
    try {
      server.waitUntilListening();
      String url = "http://127.0.0.1:" + port;
      TrackerClientConfig config =
          TrackerClientConfig.of(url, token)
              .withBufferDir(home.resolve("buffer"))
              .withBatching(batch, Duration.ofMillis(200), 200_000);
      try (TrackerClient client = TrackerClient.open(config)) {
        ingest(client, runs, seconds, backlog);
        reads(client, url, history);
      }
    } finally {
      server.stop();
      deleteTree(home);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static void ingest(TrackerClient client, int runs, int seconds, long backlog)
      throws Exception {
    List<RunHandle> handles = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      handles.add(client.run(RunSpec.of("bench", "ingest-" + r)));
    }
    AtomicBoolean stop = new AtomicBoolean();
    long[] logged = new long[runs];
    List<Thread> producers = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      int i = r;
      RunHandle run = handles.get(r);
      Thread t =
          new Thread(
              () -> {
                String[] keys = {"train/loss", "train/lr", "train/grad_norm", "system/gpu_util"};
                long n = 0;
                for (long step = 0; !stop.get(); step++) {
                  for (String key : keys) {
                    run.log(key, step, 1.0 / (step + 1));
                  }
                  n += keys.length;
                  while (n - run.acknowledgedPoints() > backlog && !stop.get()) {
                    sleepMillis(1);
                  }
                }
                logged[i] = n;
              },
              "producer-" + r);
      producers.add(t);
      t.start();
    }
    Thread.sleep(3_000); // warm-up: JIT, connection pools, PostgreSQL caches
    long ack0 = acknowledged(handles);
    long t0 = System.nanoTime();
    Thread.sleep(seconds * 1_000L);
    long ack1 = acknowledged(handles);
    double s = (System.nanoTime() - t0) / 1e9;
    stop.set(true);
    for (Thread t : producers) {
      t.join();
    }
    for (RunHandle h : handles) {
      h.flush(Duration.ofSeconds(60));
    }
    long total = Arrays.stream(logged).sum();
    System.out.printf(
        "ingestion: %,d points acknowledged in %.1f s = %,.0f points/s sustained (%d runs); "
            + "%,d points logged in all, %,d acknowledged after flush%n",
        ack1 - ack0, s, (ack1 - ack0) / s, runs, total, acknowledged(handles));
  }

  private static void reads(TrackerClient client, String url, int history) throws Exception {
    RunHandle run = client.run(RunSpec.of("bench", "history-" + history));
    long t0 = System.nanoTime();
    for (int step = 0; step < history; step++) {
      run.log("loss", step, Math.sin(step * 0.001) + (step % 100_003 == 0 ? 5 : 0));
      if (step % 10_000 == 0) {
        while (step - run.acknowledgedPoints() > 100_000) {
          sleepMillis(1);
        }
      }
    }
    run.flush(Duration.ofSeconds(120));
    System.out.printf(
        "history: %,d points logged in %.1f s%n", history, (System.nanoTime() - t0) / 1e9);
    long id = run.id().orElseThrow();
    HttpClient http = HttpClient.newHttpClient();
    URI uri = URI.create(url + "/api/v1/runs/" + id + "/metrics?key=loss&maxPoints=1000");
    HttpRequest req = HttpRequest.newBuilder(uri).build();
    int size = 0;
    for (int i = 0; i < 10; i++) {
      http.send(req, HttpResponse.BodyHandlers.ofString());
    }
    long[] nanos = new long[100];
    for (int i = 0; i < nanos.length; i++) {
      long a = System.nanoTime();
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      nanos[i] = System.nanoTime() - a;
      JsonNode json = MAPPER.readTree(r.body());
      size = json.get("points").size();
      if (json.get("total").asLong() != history) {
        throw new IllegalStateException("series holds " + json.get("total") + " points");
      }
    }
    System.out.printf(
        "downsampled read, %,d points → %d: %s (%d reads)%n",
        history, size, latencies(nanos), nanos.length);
  }

  /** "p50 …, p95 …, max … ms" of the times in {@code nanos}, which it sorts. */
  static String latencies(long[] nanos) {
    Arrays.sort(nanos);
    return String.format(
        "p50 %.1f ms, p95 %.1f ms, max %.1f ms",
        nanos[nanos.length / 2] / 1e6,
        nanos[(int) (nanos.length * 0.95)] / 1e6,
        nanos[nanos.length - 1] / 1e6);
  }

  private static long acknowledged(List<RunHandle> handles) {
    return handles.stream().mapToLong(RunHandle::acknowledgedPoints).sum();
  }

  /** The tracker server in a child JVM on this JVM's classpath (also under mvn exec:java). */
  private static TrackerProcess trackerCommand(Path home, int port, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx2g");
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.add("-cp");
    cmd.add(classpath());
    cmd.add("io.liandan.tracker.TrackerServer");
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("LIANDAN_HOME", home.toString());
    pb.environment().put("LIANDAN_TRACKER_PORT", String.valueOf(port));
    pb.environment().put("LIANDAN_TRACKER_HOST", "127.0.0.1");
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    return new TrackerProcess(pb.start(), port);
  }

  private static String classpath() {
    ClassLoader cl = TrackerIngestBench.class.getClassLoader();
    if (cl instanceof URLClassLoader u && u.getURLs().length > 0) {
      List<String> parts = new ArrayList<>();
      for (URL url : u.getURLs()) {
        try {
          parts.add(Path.of(url.toURI()).toString());
        } catch (Exception e) {
          throw new IllegalStateException(url.toString(), e);
        }
      }
      return String.join(File.pathSeparator, parts);
    }
    return System.getProperty("java.class.path");
  }

  private record TrackerProcess(Process process, int port) {
    String waitForToken() throws Exception {
      try (BufferedReader out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line = out.readLine();
        if (process.waitFor() != 0 || line == null || !line.startsWith("ldn_")) {
          throw new IllegalStateException("token create failed: " + line);
        }
        return line.strip();
      }
    }

    void waitUntilListening() throws Exception {
      HttpClient http = HttpClient.newHttpClient();
      URI uri = URI.create("http://127.0.0.1:" + port + "/api/v1/projects");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException("the tracker exited with " + process.exitValue());
        }
        try {
          if (http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
                  .statusCode()
              == 200) {
            return;
          }
        } catch (IOException e) {
          // not listening yet
        }
        Thread.sleep(200);
      }
      throw new IllegalStateException("the tracker did not start in 120 s");
    }

    void stop() throws InterruptedException {
      process.destroy(); // SIGTERM: the server's shutdown hook stops Javalin and PostgreSQL
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void sleepMillis(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
