package io.liandan.app;

import static io.liandan.app.EndToEnd.JSON;
import static io.liandan.app.EndToEnd.LOGS;
import static io.liandan.app.EndToEnd.SHORT;
import static io.liandan.app.EndToEnd.everyStep;
import static io.liandan.app.EndToEnd.freePort;
import static io.liandan.app.EndToEnd.getJson;
import static io.liandan.app.EndToEnd.liandan;
import static io.liandan.app.EndToEnd.liandanJvm;
import static io.liandan.app.EndToEnd.steps;
import static io.liandan.app.EndToEnd.upArgs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.contracts.ArtifactStore;
import io.liandan.llm.demo.DemoPipeline;
import io.liandan.tracker.embedded.Postmaster;
import io.liandan.workflows.PipelineResult;
import io.liandan.workflows.PipelineStatus;
import io.liandan.workflows.StageStatus;
import io.liandan.workflows.runtime.Pipelines;
import io.liandan.workflows.runtime.TemporalDevServer;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code liandan up} as users run it — its own JVM, the real Temporal server through Temporal's CLI
 * ({@code temporal server start-dev}, state in the home), pipelines started with {@code temporal
 * workflow start --input-file} verbatim — and the crash it must heal by itself: the whole stack
 * (worker, Temporal, tracker, PostgreSQL) SIGKILLed in the middle of SFT, then {@code liandan up}
 * on the same home and nothing else.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealTemporalEndToEndTest {
  @TempDir static Path dir;
  Path cli;
  Path specFile; // the short demo, local paths absolute, as a user would write it for the CLI
  Path cwd; // the up's working folder: where a relative path in a CLI-started spec is read
  PipelineResult uninterrupted;
  final List<Up> ups = new ArrayList<>();

  /** One {@code liandan up} JVM and where it listens. */
  record Up(Process process, Path home, int trackerPort, int temporalPort, int uiPort, String log) {
    String target() {
      return "127.0.0.1:" + temporalPort;
    }
  }

  @BeforeAll
  void prepare() throws Exception {
    cli = TemporalCli.find();
    Path demo = DemoPipeline.writeShort(dir.resolve("demo"), SHORT);
    ObjectNode s = (ObjectNode) RunCommand.load(demo); // paths made absolute
    s.put("heartbeat_timeout_seconds", 6); // a killed worker's stage is retried within seconds
    s.put("progress_interval_seconds", 0);
    specFile = dir.resolve("spec.json");
    Files.writeString(specFile, s.toString());
    cwd = Files.createDirectories(dir.resolve("cwd"));
  }

  @AfterAll
  void stop() {
    for (Up u : ups) {
      u.process().descendants().forEach(ProcessHandle::destroyForcibly);
      u.process().destroyForcibly();
    }
  }

  /** {@code liandan up} in its own JVM on {@code home} and these ports, back once it says so. */
  Up up(Path home, int trackerPort, int temporalPort, int uiPort, String log) throws Exception {
    ProcessBuilder pb = liandanJvm(upArgs(home, trackerPort, temporalPort, uiPort));
    pb.environment().put(TemporalDevServer.CLI_ENV, cli.toString());
    Files.createDirectories(LOGS);
    pb.directory(cwd.toFile())
        .redirectErrorStream(true)
        .redirectOutput(LOGS.resolve(log).toAbsolutePath().toFile());
    Up u = new Up(pb.start(), home, trackerPort, temporalPort, uiPort, log);
    ups.add(u);
    for (long end = System.nanoTime() + 180_000_000_000L; System.nanoTime() < end; ) {
      if (Files.readString(LOGS.resolve(log)).contains("Liandan is up")) return u;
      assertTrue(u.process().isAlive(), "liandan up exited:\n" + tail(log));
      Thread.sleep(100);
    }
    throw new AssertionError("liandan up did not come up in 3 min:\n" + tail(log));
  }

  Up up(Path home, String log) throws Exception {
    return up(home, freePort(), freePort(), freePort(), log);
  }

  TemporalCli temporal(Up u) {
    return new TemporalCli(cli, u.target());
  }

  Pipelines pipelines(Up u) {
    return new Pipelines(Pipelines.connect(u.target(), "default"), new ArtifactStore(u.home()));
  }

  @Test
  @Order(1)
  void theReadmesTemporalCommandRunsAPipelineOnTheRealServer() throws Exception {
    Up u = up(dir.resolve("home-a"), "up-a.log");
    String started = Files.readString(LOGS.resolve("up-a.log"));
    assertTrue(started.contains("temporal server start-dev"), started);
    assertTrue(started.contains("Temporal UI:  http://127.0.0.1:" + u.uiPort()), started);
    HttpResponse<String> ui =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + u.uiPort() + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, ui.statusCode(), "the Temporal Web UI");

    TemporalCli t = temporal(u);
    // the README's command, verbatim (plus the id, to find it again, and the address)
    t.startPipeline(specFile.getParent(), "spec.json", "cli-a");
    String result = t.ok(cwd, "workflow", "result", "--workflow-id", "cli-a");
    assertTrue(result.contains("COMPLETED"), result);
    uninterrupted = pipelines(u).result("cli-a");
    assertEquals(SHORT.sftSteps(), uninterrupted.stage("sft").steps());

    String list = t.ok(cwd, "workflow", "list");
    assertTrue(list.contains("cli-a") && list.contains("Completed"), list);
    String describe = t.ok(cwd, "workflow", "describe", "--workflow-id", "cli-a");
    assertTrue(describe.contains("PipelineWorkflow") && describe.contains("COMPLETED"), describe);
    JsonNode q =
        JSON.readTree(
            t.ok(
                cwd,
                "workflow",
                "query",
                "--workflow-id",
                "cli-a",
                "--type",
                "status",
                "-o",
                "json"));
    JsonNode status = q.path("queryResult").isArray() ? q.path("queryResult").get(0) : q;
    assertEquals("completed", status.path("state").asText(), q.toString());
    assertEquals(12, status.path("stages").size(), q.toString());

    // reset to the first workflow task: a new run of the same id, every stage from the cache
    t.ok(
        cwd,
        "workflow",
        "reset",
        "--workflow-id",
        "cli-a",
        "--type",
        "FirstWorkflowTask",
        "--reason",
        "test");
    String again = t.ok(cwd, "workflow", "result", "--workflow-id", "cli-a");
    assertTrue(again.contains("COMPLETED"), again);
    PipelineStatus reset = pipelines(u).status("cli-a");
    for (StageStatus st : reset.stages())
      if (!st.name().equals("download")) assertEquals("cached", st.state(), st.toString());

    // a relative path in a spec the CLI sends is read against the worker's folder, and says so
    ObjectNode rel = (ObjectNode) JSON.readTree(specFile.toFile());
    rel.put("model", "model");
    Files.writeString(dir.resolve("relative.json"), rel.toString());
    t.startPipeline(dir, "relative.json", "cli-rel");
    TemporalCli.Result failed = t.run(cwd, "workflow", "result", "--workflow-id", "cli-rel");
    assertTrue(failed.out().contains("FAILED"), failed.out());
    assertTrue(failed.out().contains("resolved against " + cwd.toRealPath()), failed.out());

    // terminate, and cancel: each its own variant (SFT's learning rate) so that SFT runs again —
    // a terminated workflow's SFT may still finish (the worker hears of it on its next heartbeat
    // that reaches the server, seconds later) and its output would be the next one's cache
    for (String how : List.of("terminate", "cancel")) {
      String id = "cli-" + how;
      ObjectNode variant = (ObjectNode) JSON.readTree(specFile.toFile());
      ((ObjectNode) variant.get("stages").get(1).get("args"))
          .put("learning_rate", how.equals("cancel") ? 1e-3 : 2e-3);
      Files.writeString(dir.resolve("variant.json"), variant.toString());
      t.startPipeline(dir, "variant.json", id);
      waitForSft(pipelines(u), id, false, "up-a.log");
      if (how.equals("terminate"))
        t.ok(cwd, "workflow", "terminate", "--workflow-id", id, "--reason", "test");
      else t.ok(cwd, "workflow", "cancel", "--workflow-id", id);
      String want =
          "WORKFLOW_EXECUTION_STATUS_" + (how.equals("cancel") ? "CANCELED" : "TERMINATED");
      String closed = "";
      for (long end = System.nanoTime() + 120_000_000_000L;
          !closed.equals(want) && System.nanoTime() < end; ) {
        Thread.sleep(200);
        closed =
            JSON.readTree(t.ok(cwd, "workflow", "describe", "--workflow-id", id, "-o", "json"))
                .path("workflowExecutionInfo")
                .path("status")
                .asText();
      }
      assertEquals(want, closed, id);
    }
    assertEquals("cancelled", pipelines(u).status("cli-cancel").state());

    // liandan status: exit codes by state, and the list through Temporal's visibility API
    String[] where = {"--temporal", u.target(), "--home", u.home().toString()};
    assertEquals(0, liandan("status", "cli-a", where).code());
    assertEquals(StatusCommand.CANCELLED, liandan("status", "cli-cancel", where).code());
    assertEquals(StatusCommand.FAILED, liandan("status", "cli-rel", where).code());
    ModelCommandsTest.Run listed = liandan("status", null, where);
    assertEquals(0, listed.code(), listed.err());
    for (String id : List.of("cli-a", "cli-rel", "cli-terminate", "cli-cancel"))
      assertTrue(listed.out().contains(id), listed.out());
    assertTrue(listed.out().contains("canceled"), listed.out());
  }

  @Test
  @Order(2)
  void aStackKilledInTheMiddleOfSftHealsItselfOnTheNextUp() throws Exception {
    assertNotNull(uninterrupted, "needs the uninterrupted run");
    Path home = dir.resolve("home-b");
    Up first = up(home, "up-b1.log");
    temporal(first).startPipeline(specFile.getParent(), "spec.json", "heal");
    String runId = runId(first, "heal");
    StageStatus sft = waitForSft(pipelines(first), "heal", true, "up-b1.log");

    // SIGKILL the whole stack: the up JVM, its Temporal child and the tracker's postmaster
    Postmaster pg = Postmaster.running(home.resolve("postgres")).orElseThrow();
    List<ProcessHandle> all = new ArrayList<>(first.process().descendants().toList());
    all.add(first.process().toHandle());
    all.add(ProcessHandle.of(pg.pid()).orElseThrow());
    all.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle h : all) h.onExit().get();

    long t0 = System.nanoTime();
    Up second = up(home, first.trackerPort(), first.temporalPort(), first.uiPort(), "up-b2.log");
    double upSeconds = (System.nanoTime() - t0) / 1e9;
    Pipelines p = pipelines(second);
    // nothing else is done: the same execution carries on by itself
    double runningAgain = Double.NaN;
    for (long end = System.nanoTime() + 180_000_000_000L; System.nanoTime() < end; ) {
      StageStatus s = p.status("heal").stages().get(6);
      if (s.attempt() > sft.attempt() || s.state().equals("done")) {
        runningAgain = (System.nanoTime() - t0) / 1e9;
        break;
      }
      Thread.sleep(100);
    }
    System.out.printf(
        "REAL-TEMPORAL heal: liandan up after SIGKILL ready in %.1f s, SFT running again %.1f s"
            + " after the up started (heartbeat timeout 6 s)%n",
        upSeconds, runningAgain);
    PipelineResult r = p.result("heal");
    assertEquals(runId, runId(second, "heal"), "the same workflow execution, not a new one");
    assertTrue(r.stage("sft").resumedFromStep() > 0, "SFT restarted from 0: " + r.stage("sft"));
    assertTrue(r.stage("sft").resumedFromStep() >= sft.step() - SHORT.saveSteps());
    assertArrayEquals(
        Files.readAllBytes(Path.of(uninterrupted.stage("merge").out(), "model.safetensors")),
        Files.readAllBytes(Path.of(r.stage("merge").out(), "model.safetensors")),
        "the merged model is the uninterrupted run's, bit for bit");
    String base = "http://127.0.0.1:" + second.trackerPort();
    JsonNode curve =
        getJson(
            base
                + "/api/v1/runs/"
                + r.stage("sft").trackerRunId()
                + "/metrics?key=train/loss&maxPoints=100000");
    assertEquals(everyStep(SHORT.sftSteps()), steps(curve), "each step once");
    JsonNode runs = getJson(base + "/api/v1/projects/demo/runs?limit=100");
    long sftRuns = 0;
    for (JsonNode run : runs.has("runs") ? runs.get("runs") : runs)
      if (run.path("key").asText().equals("heal/sft")) sftRuns++;
    assertEquals(1, sftRuns, "one SFT run in the tracker");
    // the run links to its workflow's page in the Temporal Web UI (the run page shows the link)
    String page = "http://127.0.0.1:" + second.uiPort() + "/namespaces/default/workflows/heal";
    JsonNode sftRun = getJson(base + "/api/v1/runs/" + r.stage("sft").trackerRunId());
    assertEquals(page, sftRun.at("/labels/temporal_ui").asText(), sftRun.toString());
    assertFalse(Files.readString(LOGS.resolve("up-b2.log")).contains("TMPRL1101"));
  }

  String runId(Up u, String id) {
    var client = Pipelines.connect(u.target(), "default");
    try {
      return client
          .getWorkflowServiceStubs()
          .blockingStub()
          .describeWorkflowExecution(
              DescribeWorkflowExecutionRequest.newBuilder()
                  .setNamespace("default")
                  .setExecution(WorkflowExecution.newBuilder().setWorkflowId(id))
                  .build())
          .getWorkflowExecutionInfo()
          .getExecution()
          .getRunId();
    } finally {
      client.getWorkflowServiceStubs().shutdownNow();
    }
  }

  /** Waits until SFT runs ({@code checkpointed}: and has written a checkpoint). */
  StageStatus waitForSft(Pipelines p, String id, boolean checkpointed, String log)
      throws Exception {
    StageStatus sft = null;
    for (long end = System.nanoTime() + 300_000_000_000L; System.nanoTime() < end; ) {
      sft = p.status(id).stages().get(6);
      if (sft.state().equals("running") && (!checkpointed || sft.lastCheckpoint() != null)) break;
      assertFalse(sft.state().equals("done"), "SFT ended before it could be interrupted");
      Thread.sleep(100);
    }
    assertEquals("running", sft.state(), "SFT never ran: " + sft + "\n" + tail(log));
    return sft;
  }

  static String tail(String log) throws IOException {
    return EndToEnd.tail(LOGS.resolve(log));
  }
}
