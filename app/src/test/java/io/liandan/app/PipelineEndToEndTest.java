package io.liandan.app;

import static io.liandan.app.EndToEnd.LOGS;
import static io.liandan.app.EndToEnd.SHORT;
import static io.liandan.app.EndToEnd.everyStep;
import static io.liandan.app.EndToEnd.getJson;
import static io.liandan.app.EndToEnd.liandan;
import static io.liandan.app.EndToEnd.liandanJvm;
import static io.liandan.app.EndToEnd.runSpec;
import static io.liandan.app.EndToEnd.steps;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.contracts.ArtifactStore;
import io.liandan.contracts.StageResult;
import io.liandan.llm.demo.DemoPipeline;
import io.liandan.tracker.TrackerConfig;
import io.liandan.tracker.TrackerServer;
import io.liandan.workflows.PipelineResult;
import io.liandan.workflows.PipelineSpec;
import io.liandan.workflows.PipelineStatus;
import io.liandan.workflows.StageStatus;
import io.liandan.workflows.runtime.EmbeddedTemporal;
import io.liandan.workflows.runtime.Pipelines;
import io.temporal.client.WorkflowFailedException;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
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
 * The embedded stack end to end: tracker (embedded PostgreSQL), Temporal (embedded, loopback) and
 * workers as separate JVMs ({@code liandan worker}), running a short demo pipeline — once
 * uninterrupted, once with its worker killed by SIGKILL in the middle of SFT.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineEndToEndTest {
  @TempDir static Path dir;
  TrackerServer tracker;
  EmbeddedTemporal temporal;
  String token;
  JsonNode spec;
  PipelineResult uninterrupted;
  final List<Process> workers = new ArrayList<>();

  @BeforeAll
  void startStack() throws Exception {
    tracker =
        TrackerServer.start(
            TrackerConfig.defaults().withDataDir(dir.resolve("postgres")).withPort(0));
    token = tracker.tokens().create("e2e").token();
    temporal = EmbeddedTemporal.start(0);
    Path specFile = DemoPipeline.writeShort(dir.resolve("demo"), SHORT);
    ObjectNode s = (ObjectNode) RunCommand.load(specFile);
    s.put("heartbeat_timeout_seconds", 6); // a killed worker's stage is retried within seconds
    s.put("progress_interval_seconds", 0);
    spec = s;
  }

  @AfterAll
  void stopStack() {
    workers.forEach(Process::destroyForcibly);
    if (temporal != null) temporal.close();
    if (tracker != null) tracker.close();
  }

  /** {@code liandan worker} in its own JVM, on its own queue and home. */
  Process worker(String queue, Path home, String log) throws IOException {
    ProcessBuilder pb =
        liandanJvm(
            "worker",
            "--temporal",
            temporal.target(),
            "--queue",
            queue,
            "--home",
            home.toString(),
            "--tracker-url",
            tracker.url(),
            "--tracker-token",
            token);
    Files.createDirectories(LOGS);
    pb.redirectErrorStream(true).redirectOutput(LOGS.resolve(log).toFile());
    Process p = pb.start();
    workers.add(p);
    return p;
  }

  Pipelines pipelines(Path home) {
    return new Pipelines(Pipelines.connect(temporal.target(), "default"), new ArtifactStore(home));
  }

  @Test
  @Order(1)
  void theShortDemoRunsToCompletionThroughTemporal() throws Exception {
    Path home = dir.resolve("home-a");
    Process w = worker("e2e-a", home, "worker-a.log");
    Pipelines p = pipelines(home);
    p.start("e2e-a", spec, "e2e-a");
    uninterrupted = result(p, "e2e-a", "worker-a.log");
    PipelineStatus s = p.status("e2e-a"); // a query on a closed workflow needs a worker
    w.destroy();

    assertEquals("completed", s.state());
    // every step the spec plans (PipelineWorkflowTest pins their order), dpo as the preference
    List<String> planned = PipelineSpec.parse(spec).steps();
    assertEquals(12, planned.size(), planned.toString());
    assertTrue(planned.contains("dpo"), planned.toString());
    assertEquals(planned, s.stages().stream().map(StageStatus::name).toList());
    assertTrue(s.stages().stream().allMatch(x -> x.state().equals("done")), s.toString());
    assertEquals(SHORT.sftSteps(), uninterrupted.stage("sft").steps());
    assertEquals(0, uninterrupted.stage("sft").resumedFromStep());
    assertTrue(Files.exists(Path.of(uninterrupted.stage("merge").out(), "config.json")));
    assertEquals(spec, p.storedSpec("e2e-a"), "stored for liandan resume");
    // one tracker run per stage, grouped by the pipeline, each stage's run id reported
    for (StageStatus st : s.stages())
      if (!st.name().equals("download")) {
        JsonNode run = get("/api/v1/runs/" + st.trackerRunId());
        assertEquals("e2e-a", run.path("group").asText(), st.name());
        assertEquals("e2e-a/" + st.name(), run.path("key").asText());
        assertEquals("finished", run.path("state").asText(), st.name());
      }
  }

  @Test
  @Order(2)
  void aWorkerKilledInTheMiddleOfSftIsReplacedAndSftResumesFromItsCheckpoint() throws Exception {
    assertNotNull(uninterrupted, "needs the uninterrupted run");
    Path home = dir.resolve("home-b");
    Process first = worker("e2e-b", home, "worker-b1.log");
    Pipelines p = pipelines(home);
    p.start("e2e-b", spec, "e2e-b");
    StageStatus sft = waitForSftCheckpoint(p, "e2e-b", "worker-b1.log");
    assertTrue(first.isAlive());
    first.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
    first.waitFor();
    worker("e2e-b", home, "worker-b2.log");
    PipelineResult r = result(p, "e2e-b", "worker-b2.log");

    StageResult resumed = r.stage("sft");
    assertTrue(resumed.resumedFromStep() > 0, "SFT restarted from step 0: " + resumed);
    assertTrue(resumed.resumedFromStep() < SHORT.sftSteps());
    assertEquals(SHORT.sftSteps(), resumed.steps());
    // the same adapter, bit for bit, as the uninterrupted run's
    Path a = Path.of(uninterrupted.stage("sft").next().adapters().get(0));
    Path b = Path.of(resumed.next().adapters().get(0));
    assertTrue(Files.exists(b.resolve("adapter_model.safetensors")));
    assertArrayEquals(
        Files.readAllBytes(a.resolve("adapter_model.safetensors")),
        Files.readAllBytes(b.resolve("adapter_model.safetensors")));
    // and the same final model after DPO and merge
    assertArrayEquals(
        Files.readAllBytes(Path.of(uninterrupted.stage("merge").out(), "model.safetensors")),
        Files.readAllBytes(Path.of(r.stage("merge").out(), "model.safetensors")));
    // the tracker's SFT curve: every step exactly once, the same values as without the kill
    JsonNode killed =
        get("/api/v1/runs/" + resumed.trackerRunId() + "/metrics?key=train/loss&maxPoints=100000");
    JsonNode clean =
        get(
            "/api/v1/runs/"
                + uninterrupted.stage("sft").trackerRunId()
                + "/metrics?key=train/loss&maxPoints=100000");
    assertEquals(SHORT.sftSteps(), killed.path("total").asLong(), killed.toString());
    assertEquals(everyStep(SHORT.sftSteps()), steps(killed));
    assertEquals(clean.path("points"), killed.path("points"));
    assertEquals("finished", get("/api/v1/runs/" + resumed.trackerRunId()).path("state").asText());
  }

  @Test
  @Order(3)
  void aBadSpecIsRejectedBeforeAnyStageRunsWithEveryProblemListed() throws Exception {
    ObjectNode bad = spec.deepCopy();
    bad.put("learning_rate", 0.1);
    ((ObjectNode) bad.get("stages").get(1).get("args")).put("lora_r", -1);
    ((ObjectNode) bad.get("datasets").get("corpus"))
        .put("source", dir.resolve("gone.jsonl").toString());
    ModelCommandsTest.Run cli =
        runSpec(bad, dir.resolve("bad.json"), temporal.target(), dir.resolve("home-c"));
    assertEquals(2, cli.code());
    assertTrue(cli.err().contains("learning_rate: unknown key"), cli.err());
    assertTrue(cli.err().contains("stages[1].args.lora_r"), cli.err());
    assertFalse(Files.exists(dir.resolve("home-c/pipelines")), "nothing started");

    // the same spec through Temporal directly (as `temporal workflow start` sends it)
    Path home = dir.resolve("home-d");
    Process w = worker("e2e-d", home, "worker-d.log");
    Pipelines p = pipelines(home);
    p.start("e2e-d", bad, "e2e-d");
    WorkflowFailedException e =
        assertThrows(WorkflowFailedException.class, () -> p.result("e2e-d"));
    ApplicationFailure f = assertInstanceOf(ApplicationFailure.class, e.getCause());
    assertEquals("BadSpec", f.getType());
    assertTrue(f.getOriginalMessage().contains("learning_rate: unknown key"));
    assertFalse(Files.exists(home.resolve("artifacts")), "no stage ran");
    w.destroy();
  }

  @Test
  @Order(4)
  void cancelStopsSftKeepingItsCheckpointsAndResumeRedoesOnlyWhatIsMissing() throws Exception {
    Cancelled c = cancelledInSft("e2e-e", dir.resolve("home-e"), "worker-e.log");
    Pipelines p = c.pipelines();
    StageStatus sft = c.sft();
    PipelineStatus cancelled = p.status("e2e-e");
    assertEquals("cancelled", cancelled.state());
    assertEquals("cancelled", cancelled.stages().get(6).state());
    JsonNode run = get("/api/v1/runs/" + trackerRun("e2e-e/sft"));
    assertEquals("failed", run.path("state").asText());
    assertTrue(run.at("/summary/failure").asText().startsWith("cancelled"), run.toString());
    Path sftDir = Path.of(p.status("e2e-e").stages().get(6).lastCheckpoint()).getParent();
    assertTrue(Files.list(sftDir).findAny().isPresent(), "checkpoints kept in " + sftDir);

    ModelCommandsTest.Run resumed = liandan("resume", "e2e-e", c.where());
    assertEquals(0, resumed.code(), resumed.err());
    PipelineResult r = result(p, "e2e-e", "worker-e.log");
    PipelineStatus s = p.status("e2e-e");
    assertEquals("completed", s.state());
    for (String cached : List.of("format-pt", "tokenize-pt", "pt", "format-sft", "tokenize-sft"))
      assertEquals(
          "cached",
          s.stages().stream().filter(x -> x.name().equals(cached)).findFirst().get().state(),
          cached);
    assertTrue(
        r.stage("sft").resumedFromStep() >= sft.step() - SHORT.saveSteps(),
        r.stage("sft").toString());
    assertTrue(r.stage("sft").resumedFromStep() > 0);
    assertEquals(
        "finished", get("/api/v1/runs/" + r.stage("sft").trackerRunId()).path("state").asText());
    assertEquals(
        trackerRun("e2e-e/sft"), r.stage("sft").trackerRunId(), "the same tracker run, resumed");
  }

  @Test
  @Order(5)
  void aNewPipelineIdThatResumesSftContinuesItsTrackerRun() throws Exception {
    Cancelled c = cancelledInSft("e2e-f", dir.resolve("home-f"), "worker-f.log");
    Pipelines p = c.pipelines();
    long first = trackerRun("e2e-f/sft");

    // what `liandan run` does after an interruption: the same spec under a new id
    p.start("e2e-f2", spec, "e2e-f");
    PipelineResult r = result(p, "e2e-f2", "worker-f.log");
    StageResult resumed = r.stage("sft");
    assertTrue(resumed.resumedFromStep() >= c.sft().step() - SHORT.saveSteps(), resumed.toString());
    assertTrue(resumed.resumedFromStep() > 0, resumed.toString());
    assertEquals(first, resumed.trackerRunId(), "the run the first pipeline started, continued");
    JsonNode run = get("/api/v1/runs/" + first);
    assertEquals("finished", run.path("state").asText(), run.toString());
    assertTrue(run.at("/summary/failure").isMissingNode(), run.toString());
    assertEquals(1, run.path("resumedAt").size(), run.toString());
    assertEquals("e2e-f2", run.path("group").asText(), "the pipeline that finished it");
    assertEquals("e2e-f2", run.path("workflowId").asText());
    String tags = run.path("tags").toString();
    assertTrue(tags.contains("pipeline:e2e-f\"") && tags.contains("pipeline:e2e-f2"), tags);
    JsonNode curve = get("/api/v1/runs/" + first + "/metrics?key=train/loss&maxPoints=100000");
    assertEquals(everyStep(SHORT.sftSteps()), steps(curve), "each step once");
    assertThrows(AssertionError.class, () -> trackerRun("e2e-f2/sft"), "no second SFT run");
    // a stage that was not interrupted runs under the new pipeline's own key
    assertEquals(trackerRun("e2e-f2/dpo"), r.stage("dpo").trackerRunId());
  }

  StageStatus waitForSftCheckpoint(Pipelines p, String id, String log) throws Exception {
    StageStatus sft = null;
    for (long deadline = System.nanoTime() + 240_000_000_000L; System.nanoTime() < deadline; ) {
      sft = p.status(id).stages().get(6);
      if (sft.state().equals("running") && sft.lastCheckpoint() != null) break;
      assertFalse(sft.state().equals("done"), "SFT ended before it could be interrupted");
      Thread.sleep(100);
    }
    assertEquals("running", sft.state(), "SFT never checkpointed: " + sft + "\n" + tail(log));
    assertTrue(sft.step() < sft.total(), "SFT ended before the interruption: " + sft);
    return sft;
  }

  /** A pipeline cancelled ({@code liandan cancel}) once SFT checkpointed, and where it ran. */
  record Cancelled(Pipelines pipelines, StageStatus sft, String[] where) {}

  /**
   * Starts {@code id} on a worker of its own (queue {@code id}, {@code home}), cancels it once SFT
   * has checkpointed, and waits for its result to fail.
   */
  Cancelled cancelledInSft(String id, Path home, String log) throws Exception {
    worker(id, home, log);
    Pipelines p = pipelines(home);
    p.start(id, spec, id);
    StageStatus sft = waitForSftCheckpoint(p, id, log);
    String[] where = {"--temporal", temporal.target(), "--home", home.toString()};
    assertEquals(0, liandan("cancel", id, where).code());
    assertThrows(WorkflowFailedException.class, () -> p.result(id));
    return new Cancelled(p, sft, where);
  }

  long trackerRun(String key) throws Exception {
    JsonNode page = get("/api/v1/projects/demo/runs?limit=100");
    for (JsonNode run : page.has("runs") ? page.get("runs") : page)
      if (run.path("key").asText().equals(key)) return run.path("id").asLong();
    throw new AssertionError("no tracker run " + key);
  }

  PipelineResult result(Pipelines p, String id, String log) throws IOException {
    try {
      return p.result(id);
    } catch (RuntimeException e) {
      throw new AssertionError(id + " failed: " + e + "\nworker log:\n" + tail(log), e);
    }
  }

  String tail(String log) throws IOException {
    return EndToEnd.tail(LOGS.resolve(log));
  }

  /** GET {@code path} on the tracker, which must answer 200; its body as JSON. */
  JsonNode get(String path) throws Exception {
    return getJson(tracker.url() + path);
  }
}
