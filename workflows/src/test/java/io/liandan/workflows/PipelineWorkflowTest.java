package io.liandan.workflows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.TestWorkflowExtension;
import io.temporal.testing.WorkflowReplayer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PipelineWorkflowTest {
  @RegisterExtension
  static final TestWorkflowExtension temporal =
      TestWorkflowExtension.newBuilder()
          .registerWorkflowImplementationTypes(PipelineWorkflowImpl.class)
          .setActivityImplementations(new FakeStages())
          .build();

  /** The stages of full.json's shape, in the order they run, with {@code preference} third. */
  static List<String> stageOrder(String preference) {
    return List.of(
        "download",
        "format-pt",
        "tokenize-pt",
        "pt",
        "format-sft",
        "tokenize-sft",
        "sft",
        "format-" + preference,
        "tokenize-" + preference,
        preference,
        "eval",
        "merge");
  }

  static PipelineWorkflow start(
      WorkflowClient client, WorkflowOptions options, String id, ObjectNode spec) {
    PipelineWorkflow wf =
        client.newWorkflowStub(
            PipelineWorkflow.class, options.toBuilder().setWorkflowId(id).build());
    WorkflowClient.start(wf::run, spec);
    return wf;
  }

  @Test
  void runsEveryStageInOrderAndReplaysItsHistory(WorkflowClient client, WorkflowOptions options)
      throws Exception {
    FakeStages.reset(FakeStages.Mode.NORMAL, client);
    PipelineWorkflow wf = start(client, options, "p-full", PipelineSpecTest.spec("full.json"));
    PipelineResult r = WorkflowStub.fromTyped(wf).getResult(PipelineResult.class);

    List<String> order = stageOrder("dpo");
    assertEquals(order, FakeStages.calls);
    PipelineStatus s = wf.status();
    assertEquals("completed", s.state());
    assertEquals(order, s.stages().stream().map(StageStatus::name).toList());
    assertTrue(s.stages().stream().allMatch(x -> x.state().equals("done")), s.toString());
    assertEquals(order, List.copyOf(wf.trackerRuns().keySet()));
    assertEquals(r.stage("merge").out(), wf.artifacts().get("merge"));
    // each training stage starts from the previous one's model: adapters stack up
    assertEquals(3, r.model().adapters().size());
    assertEquals(r.stage("dpo").out(), r.model().adapters().get(2));
    assertNotEquals(r.stage("pt").key(), r.stage("sft").key());
    // the SFT stage's key depends on the PT stage's, so a changed PT changes everything after it
    // and nothing before or beside it: the same pipeline with another PT learning rate
    ObjectNode changed = PipelineSpecTest.spec("full.json");
    ((ObjectNode) changed.withArray("stages").get(0).get("args")).put("learning_rate", 0.002);
    PipelineWorkflow wf2 = start(client, options, "p-full-pt-changed", changed);
    PipelineResult r2 = WorkflowStub.fromTyped(wf2).getResult(PipelineResult.class);
    for (String same : List.of("format-pt", "tokenize-pt", "format-sft", "tokenize-sft"))
      assertEquals(r.stage(same).key(), r2.stage(same).key(), same + " does not depend on PT");
    for (String after : List.of("pt", "sft", "dpo", "eval", "merge"))
      assertNotEquals(r.stage(after).key(), r2.stage(after).key(), after + " follows PT");

    replaysAndRecords(client, "p-full", "pipeline-full-v1.json");
  }

  /**
   * Replays the finished execution {@code id} on this workflow implementation and, with
   * -Dliandan.recordHistories=true, keeps its history as test resource {@code file}, which {@link
   * #recordedHistoriesStillReplay} replays on every later version (pipeline-full.json predates the
   * missing-files version marker: record new ones under new names).
   */
  static void replaysAndRecords(WorkflowClient client, String id, String file) throws Exception {
    WorkflowExecutionHistory history = client.fetchHistory(id);
    WorkflowReplayer.replayWorkflowExecution(history, PipelineWorkflowImpl.class);
    if (Boolean.getBoolean("liandan.recordHistories"))
      Files.writeString(Path.of("src/test/resources/histories/" + file), history.toJson(true));
  }

  /**
   * Stage keys name the folders users' finished stages sit in: a refactor that changed them would
   * silently retrain everything on upgrade. Each pipeline recorded by the version before the module
   * split (dfb1188), run again from its recorded input on this version, schedules its stages under
   * the keys that version used. The older histories do not take part: a training key hashes every
   * argument, defaults included, and bf16 was added after them. A change that adds an argument
   * fails here on purpose; re-record these (-Dliandan.recordHistories=true, under new names) and
   * say in the release that training stages re-run once.
   */
  @ParameterizedTest
  @ValueSource(strings = {"pipeline-full-v2.json", "pipeline-kto-v2.json"})
  void stageKeysAreTheOnesTheRecordedVersionsComputed(
      String file, WorkflowClient client, WorkflowOptions options) throws Exception {
    FakeStages.reset(FakeStages.Mode.NORMAL, client);
    WorkflowExecutionHistory recorded =
        WorkflowExecutionHistory.fromJson(
            new String(
                PipelineWorkflowTest.class.getResourceAsStream("/histories/" + file).readAllBytes(),
                StandardCharsets.UTF_8));
    byte[] input =
        recorded
            .getEvents()
            .get(0)
            .getWorkflowExecutionStartedEventAttributes()
            .getInput()
            .getPayloads(0)
            .getData()
            .toByteArray();
    ObjectNode spec = (ObjectNode) new ObjectMapper().readTree(input);
    String id = "p-keys-" + file;
    WorkflowStub.fromTyped(start(client, options, id, spec)).getResult(PipelineResult.class);
    List<String> keys = stageKeys(recorded);
    assertTrue(keys.size() >= 10, keys.toString());
    assertEquals(keys, stageKeys(client.fetchHistory(id)));
  }

  /** {@code name=key} of every stage a history scheduled (either payload shape). */
  static List<String> stageKeys(WorkflowExecutionHistory h) throws Exception {
    List<String> out = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (HistoryEvent e : h.getEvents()) {
      if (!e.hasActivityTaskScheduledEventAttributes()) continue;
      JsonNode in =
          json.readTree(
              e.getActivityTaskScheduledEventAttributes()
                  .getInput()
                  .getPayloads(0)
                  .getData()
                  .toByteArray());
      JsonNode ref = in.has("stage") ? in.get("stage") : in;
      if (ref.hasNonNull("key")) out.add(ref.get("name").asText() + "=" + ref.get("key").asText());
    }
    return out;
  }

  /** A kto stage runs in dpo's place and hands eval its start (the SFT result) as reference. */
  @Test
  void ktoRunsAfterSftAndEvalScoresAgainstItsStart(WorkflowClient client, WorkflowOptions options)
      throws Exception {
    FakeStages.reset(FakeStages.Mode.NORMAL, client);
    PipelineWorkflow wf =
        start(client, options, "p-kto", PipelineSpecTest.ktoSpec("{\"max_steps\": 2}"));
    PipelineResult r = WorkflowStub.fromTyped(wf).getResult(PipelineResult.class);
    assertEquals(stageOrder("kto"), FakeStages.calls);
    assertEquals(r.stage("kto").out(), r.model().adapters().get(2));
    assertEquals(r.stage("sft").next(), FakeStages.evalReference, "KTO's reference: SFT's result");
    replaysAndRecords(client, "p-kto", "pipeline-kto.json");
  }

  /**
   * Histories recorded from earlier versions of this workflow: a change that would break running
   * pipelines (reordered or added activity calls, timers, markers) fails here. pipeline-full.json
   * predates the missing-files version marker; the others were recorded (2026-12-06) from the
   * version before {@code stages} was split into methods, the -v2 ones from the version before the
   * module split (dfb1188).
   */
  @ParameterizedTest
  @CsvSource({
    "pipeline-full.json, p-full",
    "pipeline-full-v1.json, p-full",
    "pipeline-full-v2.json, p-full",
    "pipeline-kto-v2.json, p-kto",
    "pipeline-kto.json, p-kto",
    "pipeline-badspec.json, p-bad",
    "pipeline-badinput.json, p-badinput",
    "pipeline-flaky.json, p-flaky",
    "pipeline-cancel.json, p-cancel",
    "pipeline-sweep.json, p-sweep",
    "pipeline-sweep-child.json, p-sweep-2"
  })
  void recordedHistoriesStillReplay(String file, String workflowId) throws Exception {
    // the workflow id as recorded, not the replayer's stand-in: a sweep's child ids derive from it
    String json =
        new String(
            PipelineWorkflowTest.class.getResourceAsStream("/histories/" + file).readAllBytes(),
            StandardCharsets.UTF_8);
    WorkflowReplayer.replayWorkflowExecution(
        new WorkflowExecutionHistory(
            WorkflowExecutionHistory.fromJson(json).getHistory(), workflowId),
        PipelineWorkflowImpl.class);
  }

  @Test
  void aBadSpecFailsBeforeAnyStageRunsListingEveryProblem(
      WorkflowClient client, WorkflowOptions options) throws Exception {
    FakeStages.reset(FakeStages.Mode.NORMAL, client);
    ObjectNode bad = PipelineSpecTest.spec("full.json");
    bad.put("modle", "x");
    bad.withArray("stages").add(bad.objectNode().put("stage", "pt"));
    FakeStages.missing.add("datasets.sft.source: /nowhere/sft.jsonl not found");
    PipelineWorkflow wf = start(client, options, "p-bad", bad);
    WorkflowFailedException e =
        assertThrows(
            WorkflowFailedException.class,
            () -> WorkflowStub.fromTyped(wf).getResult(PipelineResult.class));
    ApplicationFailure f = assertInstanceOf(ApplicationFailure.class, e.getCause());
    assertEquals("BadSpec", f.getType());
    assertTrue(f.getOriginalMessage().contains("modle: unknown key"), f.getOriginalMessage());
    assertTrue(f.getOriginalMessage().contains("stages[5].stage: pt after merge"));
    // the worker's missing files are in the same report (a spec the Temporal CLI sent is checked
    // whole before any stage, as `liandan run` checks it before it starts the workflow)
    assertTrue(
        f.getOriginalMessage().contains("datasets.sft.source: /nowhere/sft.jsonl not found"),
        f.getOriginalMessage());
    assertEquals(List.of(), FakeStages.calls);
    replaysAndRecords(client, "p-bad", "pipeline-badspec.json");
  }

  @Test
  void badInputIsNotRetriedButInfrastructureErrorsAre(
      WorkflowClient client, WorkflowOptions options) throws Exception {
    FakeStages.reset(FakeStages.Mode.BAD_TOKENIZE, client);
    PipelineWorkflow bad = start(client, options, "p-badinput", PipelineSpecTest.spec("full.json"));
    assertThrows(
        WorkflowFailedException.class,
        () -> WorkflowStub.fromTyped(bad).getResult(PipelineResult.class));
    assertEquals(1, FakeStages.calls.stream().filter("tokenize-sft"::equals).count());
    StageStatus tok = bad.status().stages().get(5);
    assertEquals("failed", tok.state());
    assertEquals("chat.jsonl line 3: no assistant turn", tok.error());
    assertEquals("pending", bad.status().stages().get(6).state()); // sft never started
    replaysAndRecords(client, "p-badinput", "pipeline-badinput.json");

    FakeStages.reset(FakeStages.Mode.FLAKY_SFT, client);
    PipelineWorkflow flaky = start(client, options, "p-flaky", PipelineSpecTest.spec("full.json"));
    WorkflowStub.fromTyped(flaky).getResult(PipelineResult.class);
    assertEquals(3, FakeStages.attempts.get("sft"));
    assertEquals("completed", flaky.status().state());
    replaysAndRecords(client, "p-flaky", "pipeline-flaky.json");
  }

  @Test
  void cancellingStopsTheRunningStageAndShowsItsProgress(
      WorkflowClient client, WorkflowOptions options, TestWorkflowEnvironment env)
      throws Exception {
    FakeStages.reset(FakeStages.Mode.HANG_SFT, client);
    PipelineWorkflow wf = start(client, options, "p-cancel", PipelineSpecTest.spec("full.json"));
    StageStatus sft = null;
    for (int i = 0; i < 200 && (sft == null || sft.step() != 2); i++) {
      Thread.sleep(50);
      sft = wf.status().stages().get(6);
    }
    assertEquals("running", sft.state());
    assertEquals(6, sft.total());
    assertEquals(1.5, sft.metrics().get("train/loss"));
    assertEquals("/ckpt/step-2", sft.lastCheckpoint());
    assertEquals(12.0, sft.etaSeconds());

    WorkflowStub.fromTyped(wf).cancel();
    WorkflowFailedException e =
        assertThrows(
            WorkflowFailedException.class,
            () -> WorkflowStub.fromTyped(wf).getResult(PipelineResult.class));
    assertInstanceOf(CanceledFailure.class, e.getCause());
    assertTrue(FakeStages.sawCancel, "the activity saw the cancellation through its heartbeat");
    assertEquals("cancelled", wf.status().state());
    assertEquals("cancelled", wf.status().stages().get(6).state());
    replaysAndRecords(client, "p-cancel", "pipeline-cancel.json");
  }

  @Test
  void aSweepRunsEachVariantAsAChildPipelineInOneGroup(
      WorkflowClient client, WorkflowOptions options) throws Exception {
    FakeStages.reset(FakeStages.Mode.NORMAL, client);
    ObjectNode spec = PipelineSpecTest.spec("full.json");
    spec.putObject("sweep").putObject("grid").putArray("sft.learning_rate").add(1e-4).add(3e-4);
    PipelineWorkflow wf = start(client, options, "p-sweep", spec);
    PipelineResult r = WorkflowStub.fromTyped(wf).getResult(PipelineResult.class);
    assertEquals(2, r.children().size());
    assertEquals(
        List.of("p-sweep-1: sft.learning_rate=1.0E-4", "p-sweep-2: sft.learning_rate=3.0E-4"),
        wf.status().children());
    PipelineStatus child = client.newWorkflowStub(PipelineWorkflow.class, "p-sweep-2").status();
    assertEquals("p-sweep", child.group());
    // same data, different learning rate: pt is shared, sft differs
    assertEquals(r.children().get(0).stage("pt").key(), r.children().get(1).stage("pt").key());
    assertNotEquals(r.children().get(0).stage("sft").key(), r.children().get(1).stage("sft").key());
    replaysAndRecords(client, "p-sweep", "pipeline-sweep.json");
    replaysAndRecords(client, "p-sweep-2", "pipeline-sweep-child.json");
  }
}
