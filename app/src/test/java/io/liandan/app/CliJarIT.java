package io.liandan.app;

import static io.liandan.app.EndToEnd.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.contracts.ArtifactStore;
import io.liandan.llm.demo.DemoPipeline;
import io.liandan.tracker.embedded.Postmaster;
import io.liandan.workflows.runtime.Pipelines;
import io.liandan.workflows.runtime.StageOverhead;
import io.liandan.workflows.runtime.TemporalDevServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline commands as they ship: the shaded jar in its own JVMs. One {@code liandan up} (the
 * real Temporal dev server through Temporal's CLI, the tracker on its embedded PostgreSQL, a
 * worker) serves every case; {@code run --watch} of the short demo from another folder, {@code
 * status}'s exit codes, {@code server}, and the stop on SIGTERM with every child gone. The finished
 * pipeline's history also bounds what the workflow adds per stage: a regression alarm,
 * BENCHMARKS.md keeps the measured figures.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliJarIT {
  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Workflow overhead of all 12 stages of the short demo together (with the tracker and the real
   * server), in seconds: measured 2.8–3.9 s on the loaded VM (work 88–159 s, 1.8–4.4 %) and 1.7 s
   * in CI on a quiet one (BENCHMARKS.md). A share of the work is no alarm here: the quick demo's
   * work is 6 s on a quiet machine with the torch kernels and 160 s on a loaded one, while the
   * overhead stays a few seconds; the share is printed.
   */
  static final double MAX_OVERHEAD_SECONDS = 12;

  /** What one stage may add beyond its work (measured ≤ 1.6 s, the first stages' JVM warm-up). */
  static final double MAX_STAGE_OVERHEAD_SECONDS = 5;

  /** JVM exit status after SIGTERM once the shutdown hooks have run (128 + 15). */
  static final int SIGTERM_EXIT = 143;

  @TempDir static Path dir;
  Path cli;
  Path demo; // the short demo's folder: pipeline.json and data/, paths relative to it
  Path home;
  Process up;
  int trackerPort;
  String target;

  record Result(int code, String out) {}

  @BeforeAll
  void startUp() throws Exception {
    cli = TemporalCli.find();
    demo = DemoPipeline.writeShort(dir.resolve("demo"), DemoPipeline.Size.QUICK).getParent();
    home = dir.resolve("home");
    trackerPort = freePort();
    int temporalPort = freePort();
    target = "127.0.0.1:" + temporalPort;
    up =
        start(
            "up.log",
            // the banner's worker line comes after its Temporal line, which the first test reads
            "  worker:",
            EndToEnd.upArgs(home, trackerPort, temporalPort, freePort()));
  }

  @AfterAll
  void stopLeftovers() {
    if (up != null && up.isAlive()) {
      up.descendants().forEach(ProcessHandle::destroyForcibly);
      up.destroyForcibly();
    }
  }

  @Test
  @Order(1)
  void upServesTheTrackerAndRunsTheRealTemporalServerAsItsChild() throws Exception {
    String log = Files.readString(dir.resolve("up.log"));
    assertTrue(log.contains("temporal server start-dev"), log);
    assertEquals(200, get("http://127.0.0.1:" + trackerPort + "/healthz"));
    assertEquals(200, get("http://127.0.0.1:" + trackerPort + "/runs.html?project=demo"));
    assertTrue(
        up.descendants()
            .anyMatch(h -> h.info().commandLine().orElse("").contains("server start-dev")),
        "the Temporal dev server runs as up's child");
    assertTrue(Postmaster.running(home.resolve("postgres")).isPresent(), "PostgreSQL runs");
  }

  @Test
  @Order(2)
  void runWatchOfASpecInAnotherFolderPrintsProgressAndCompletes() throws Exception {
    // from the demo's parent: the spec's relative paths (model, data/…) exist only beside it
    Result r = onStack(dir, "run", "demo/pipeline.json", "--watch", "--id", "cli-watch");
    assertEquals(0, r.code(), r.out());
    List<String> lines = r.out().lines().toList();
    assertEquals("pipeline cli-watch started", lines.get(0), r.out());
    assertEquals("pipeline cli-watch completed", lines.get(lines.size() - 1), r.out());
    // a progress line while a training stage runs (a bar and step/total), and each stage's end
    Pattern progress = Pattern.compile("^(pt|sft|dpo) +running +\\[#*\\.*\\] \\d+/\\d+.*");
    assertTrue(lines.stream().anyMatch(l -> progress.matcher(l).matches()), r.out());
    assertTrue(
        lines.stream().anyMatch(l -> l.startsWith(doneLine("sft")) && l.contains("] 24/24")),
        r.out());
    for (String stage : List.of("download", "pt", "dpo", "merge"))
      assertTrue(lines.stream().anyMatch(l -> l.startsWith(doneLine(stage))), stage + r.out());

    JsonNode stored = pipelines().storedSpec("cli-watch");
    assertEquals(
        demo.resolve("data/corpus.jsonl").toAbsolutePath().toString(),
        stored.at("/datasets/corpus/source").asText(),
        "relative paths are resolved against the spec's folder");
  }

  /** How --watch's line for a finished stage starts (PipelineWatch.line's columns). */
  static String doneLine(String stage) {
    return String.format("%-13s %-9s", stage, "done");
  }

  @Test
  @Order(3)
  void theWorkflowAddsLittleToEachStage() throws Exception {
    Pipelines p = pipelines();
    var history = p.client().fetchHistory("cli-watch").getHistory().getEventsList();
    double[] closing = new double[1];
    List<StageOverhead> rows =
        StageOverhead.of(history, p.status("cli-watch").stages(), p.result("cli-watch"), closing);
    assertEquals(12, rows.size());
    double work = 0, overhead = closing[0];
    StringBuilder table = new StringBuilder();
    for (StageOverhead o : rows) {
      work += o.work();
      overhead += o.overhead();
      table.append(
          String.format(
              "%-13s work %7.3f s  overhead %6.3f s%n", o.stage(), o.work(), o.overhead()));
    }
    table.append(
        String.format(
            "all: work %.2f s, overhead %.2f s (%.2f %%)%n",
            work, overhead, 100 * overhead / work));
    System.out.print("CLI-JAR overhead per stage\n" + table);
    assertTrue(overhead <= MAX_OVERHEAD_SECONDS, table.toString());
    for (StageOverhead o : rows)
      assertTrue(o.overhead() <= MAX_STAGE_OVERHEAD_SECONDS, o.stage() + "\n" + table);
  }

  @Test
  @Order(4)
  void statusExitCodesSayHowAPipelineStands() throws Exception {
    Result done = onStack(dir, "status", "cli-watch");
    assertEquals(0, done.code(), done.out());
    assertTrue(done.out().startsWith("pipeline cli-watch (demo, project demo"), done.out());
    assertTrue(done.out().contains(": completed"), done.out());

    Result unknown = onStack(dir, "status", "never-started");
    assertEquals(StatusCommand.UNKNOWN, unknown.code(), unknown.out());
    assertTrue(unknown.out().contains("unknown pipeline never-started"), unknown.out());

    // a corpus line that is not JSON: the pipeline fails (non-retryable bad data)
    Files.writeString(demo.resolve("data/broken.jsonl"), "{\"text\": \"fine\"}\n{not json\n");
    ObjectNode broken = (ObjectNode) JSON.readTree(demo.resolve("pipeline.json").toFile());
    ((ObjectNode) broken.at("/datasets/corpus")).put("source", "data/broken.jsonl");
    Files.writeString(demo.resolve("broken.json"), broken.toString());
    Result failed = onStack(demo, "run", "broken.json", "--watch", "--id", "cli-broken");
    assertEquals(1, failed.code(), failed.out());
    assertTrue(failed.out().contains("pipeline cli-broken failed"), failed.out());
    Result status = onStack(dir, "status", "cli-broken");
    assertEquals(StatusCommand.FAILED, status.code(), status.out());
    assertTrue(status.out().contains(": failed"), status.out());

    // another PT learning rate: PT runs again, and is cancelled
    ObjectNode variant = (ObjectNode) JSON.readTree(demo.resolve("pipeline.json").toFile());
    for (JsonNode st : variant.get("stages"))
      if (st.path("stage").asText().equals("pt"))
        ((ObjectNode) st.get("args")).put("learning_rate", 2e-3);
    Files.writeString(demo.resolve("variant.json"), variant.toString());
    Result started = onStack(demo, "run", "variant.json", "--id", "cli-cancel");
    assertEquals(0, started.code(), started.out());
    Result cancel = onStack(dir, "cancel", "cli-cancel");
    assertEquals(0, cancel.code(), cancel.out());
    Result cancelled = null;
    for (long end = System.nanoTime() + 120_000_000_000L; System.nanoTime() < end; ) {
      cancelled = onStack(dir, "status", "cli-cancel");
      if (cancelled.code() != 0) break;
      Thread.sleep(1000);
    }
    assertEquals(StatusCommand.CANCELLED, cancelled.code(), cancelled.out());

    Result list = onStack(dir, "status");
    assertEquals(0, list.code(), list.out());
    for (String id : List.of("cli-watch", "cli-broken", "cli-cancel"))
      assertTrue(list.out().contains(id), list.out());

    String nobody = "127.0.0.1:" + freePort();
    Result unreachable =
        jar(dir, "status", "cli-watch", "--home", home.toString(), "--temporal", nobody);
    assertEquals(1, unreachable.code(), unreachable.out());
    assertTrue(
        unreachable.out().contains("Temporal at " + nobody + " cannot be reached"),
        unreachable.out());
  }

  @Test
  @Order(5)
  void serverServesTheTrackerAndStopsOnSigterm() throws Exception {
    Path serverHome = dir.resolve("server-home");
    int port = freePort();
    Process server =
        start(
            "server.log",
            "Liandan tracker on",
            "server",
            "--home",
            serverHome.toString(),
            "--port",
            Integer.toString(port));
    try {
      assertEquals(200, get("http://127.0.0.1:" + port + "/healthz"));
      assertEquals(200, get("http://127.0.0.1:" + port + "/runs.html?project=demo"));
      Postmaster pg = Postmaster.running(serverHome.resolve("postgres")).orElseThrow();
      stopsOnSigterm(server, List.of(), pg, port, "server.log");
    } finally {
      server.destroyForcibly();
    }
  }

  @Test
  @Order(6)
  void upStopsOnSigtermWithEveryChildGone() throws Exception {
    List<ProcessHandle> children = up.descendants().toList();
    assertFalse(children.isEmpty(), "up has its Temporal child");
    Postmaster pg = Postmaster.running(home.resolve("postgres")).orElseThrow();
    stopsOnSigterm(up, children, pg, trackerPort, "up.log");
  }

  /** SIGTERM; the JVM exits with 143 within a minute, its children and PostgreSQL gone. */
  void stopsOnSigterm(Process p, List<ProcessHandle> children, Postmaster pg, int port, String log)
      throws Exception {
    int logged = Files.readString(dir.resolve(log)).length();
    p.destroy(); // SIGTERM
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "no exit 60 s after SIGTERM:\n" + tail(log));
    assertEquals(SIGTERM_EXIT, p.exitValue(), tail(log));
    for (ProcessHandle c : children)
      assertFalse(c.isAlive(), "left running: " + c.info().commandLine().orElse("" + c.pid()));
    assertFalse(pg.alive(), "PostgreSQL left running");
    assertTrue(Postmaster.byCommandLine(pg.dataDir()).isEmpty(), "a postmaster of the home left");
    try {
      get("http://127.0.0.1:" + port + "/healthz");
      throw new AssertionError("still serving on " + port);
    } catch (ConnectException expected) {
      // nothing listens any more
    }
    String stop = Files.readString(dir.resolve(log)).substring(logged);
    assertFalse(stop.contains("Exception"), "a clean stop logs no exception:\n" + stop);
  }

  /** A pipeline command from the jar in {@code cwd}, on this stack: its home and Temporal. */
  Result onStack(Path cwd, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--home", home.toString(), "--temporal", target));
    return jar(cwd, all.toArray(String[]::new));
  }

  Pipelines pipelines() {
    return new Pipelines(Pipelines.connect(target, "default"), new ArtifactStore(home));
  }

  /** The jar in its own JVM in {@code cwd}, back once {@code ready} appears in its output. */
  Process start(String log, String ready, String... args) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(ShippedJar.command("2g", args));
    pb.environment().put(TemporalDevServer.CLI_ENV, cli.toString());
    Path cwd = Files.createDirectories(dir.resolve("cwd"));
    pb.directory(cwd.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve(log).toFile());
    Process p = pb.start();
    for (long end = System.nanoTime() + 180_000_000_000L; System.nanoTime() < end; ) {
      if (Files.readString(dir.resolve(log)).contains(ready)) return p;
      assertTrue(p.isAlive(), String.join(" ", args) + " exited:\n" + tail(log));
      Thread.sleep(100);
    }
    p.destroyForcibly();
    throw new AssertionError(args[0] + " not ready in 3 min:\n" + tail(log));
  }

  /** A short-lived command from the jar in {@code cwd}: exit code, stdout and stderr together. */
  Result jar(Path cwd, String... args) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(ShippedJar.command("512m", args));
    Path log = Files.createTempFile(dir, "cmd", ".log");
    pb.directory(cwd.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(
          String.join(" ", args) + ": no exit in 10 min\n" + Files.readString(log));
    }
    return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  static int get(String url) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  static String tail(String log) throws IOException {
    return EndToEnd.tail(dir.resolve(log));
  }
}
