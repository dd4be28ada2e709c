package io.liandan.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.contracts.BadSpecException;
import io.liandan.contracts.DataActivities;
import io.liandan.contracts.EvalPayload;
import io.liandan.contracts.FailureTypes;
import io.liandan.contracts.FormatPayload;
import io.liandan.contracts.MergePayload;
import io.liandan.contracts.PrepareRequest;
import io.liandan.contracts.Prepared;
import io.liandan.contracts.StageKeys;
import io.liandan.contracts.StageProgress;
import io.liandan.contracts.StageRef;
import io.liandan.contracts.StageResult;
import io.liandan.contracts.TokenizePayload;
import io.liandan.contracts.TrainActivities;
import io.liandan.contracts.TrainPayload;
import io.liandan.spec.EvalRequest;
import io.liandan.spec.MergeRequest;
import io.liandan.spec.ModelSource;
import io.liandan.spec.TokenizeSpec;
import io.liandan.spec.TrainRequest;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The pipeline's orchestration and nothing else: validate the spec, compute each stage's content
 * key (a pure function of its settings and its inputs' keys), call the stage's activity with it,
 * keep the status the queries read. Deterministic: no I/O, no clock, no randomness; the activities
 * do the work and find cached outputs themselves.
 */
public class PipelineWorkflowImpl implements PipelineWorkflow {
  /** Exception types that mean bad input: failing again would fail the same way. */
  static final String[] NON_RETRYABLE = FailureTypes.NON_RETRYABLE;

  private final Map<String, StageStatus> stages = new LinkedHashMap<>();
  private final List<String> children = new ArrayList<>();
  private String pipelineId, name, project, group, state = "starting", error;

  @Override
  public PipelineResult run(JsonNode json) {
    pipelineId = Workflow.getInfo().getWorkflowId();
    List<String> problems = new ArrayList<>();
    PipelineSpec spec = PipelineSpec.parse(json, problems);
    if (spec != null && spec.sweep() == null) plan(spec); // the status query lists them meanwhile
    // files are looked for by an activity (I/O), on the worker the data stages run on; executions
    // started before this check existed replay without it
    if (Workflow.getVersion("missing-files", Workflow.DEFAULT_VERSION, 1) == 1)
      problems.addAll(missingFiles(spec, json));
    if (!problems.isEmpty()) {
      state = "failed";
      error = BadSpecException.message(problems);
      throw ApplicationFailure.newNonRetryableFailure(error, "BadSpec", problems);
    }
    name = spec.name();
    project = spec.project();
    group = spec.groupOr(pipelineId);
    state = "running";
    try {
      PipelineResult r = spec.sweep() != null ? sweep(json) : stages(spec, json);
      state = "completed";
      return r;
    } catch (CanceledFailure e) {
      state = "cancelled";
      throw e;
    } catch (TemporalFailure e) {
      boolean cancelled = CancellationScope.current().isCancelRequested();
      state = cancelled ? "cancelled" : "failed";
      error = describe(e);
      // a stage stopped by a cancel request ends the execution as Canceled, not Failed, in
      // Temporal's own terms too (temporal workflow describe/list, the Web UI)
      if (cancelled) throw new CanceledFailure(error);
      throw e;
    }
  }

  private PipelineResult stages(PipelineSpec spec, JsonNode json) {
    return new Chain(spec).run(json);
  }

  /**
   * One pipeline's stages in order, each starting from the model and data the ones before it made:
   * download, then per training stage format → tokenize → train, then eval and merge. The
   * activities are called in this order and no other (recorded histories replay on it).
   */
  private final class Chain {
    private final PipelineSpec spec;
    private final DataActivities data;
    private final TrainActivities train;
    private final List<StageResult> results = new ArrayList<>();

    /** The training stages' tokenized data and its keys, which eval scores on. */
    private final List<String> tokenized = new ArrayList<>(), tokenizedKeys = new ArrayList<>();

    private Prepared prep;

    /** The model so far and its key; the preference stage's start model (eval's reference). */
    private ModelSource model, reference;

    private String modelKey;

    Chain(PipelineSpec spec) {
      this.spec = spec;
      data = Workflow.newActivityStub(DataActivities.class, options(spec, spec.queues().cpu(), 5));
      train =
          Workflow.newActivityStub(TrainActivities.class, options(spec, spec.queues().gpu(), 10));
    }

    /** Which stage a payload is for: this pipeline's, its progress signalled at its interval. */
    private StageRef ref(String name, String kind, String key) {
      return new StageRef(
          pipelineId, group, project, name, kind, key, spec.progressIntervalSeconds());
    }

    PipelineResult run(JsonNode json) {
      download(json);
      for (StageSpec s : spec.stages()) if (s.training()) training(s);
      StageSpec e = spec.stage("eval");
      if (e != null) eval(e);
      StageSpec mg = spec.stage("merge");
      if (mg != null) merge(mg);
      return new PipelineResult(pipelineId, results, model, List.of());
    }

    private void download(JsonNode json) {
      prep =
          step(
              "download",
              null,
              () ->
                  data.download(
                      new PrepareRequest(
                          pipelineId, group, project, json, spec.model(), spec.datasets())));
      stages.put("download", stages.get("download").finished(downloadResult(prep)));
      model = new ModelSource(prep.modelDir(), List.of());
      modelKey = prep.modelKey();
    }

    /** A training stage: its data formatted, tokenized, and the model so far trained on it. */
    private void training(StageSpec s) {
      StageResult t = tokenize(s, format(s));
      String sKey = StageKeys.key(s.stage(), trainParams(spec, s), t.key(), modelKey);
      ModelSource from = model;
      TrainRequest req =
          new TrainRequest(
              s.stage(),
              from,
              t.out(),
              s.args(),
              spec.samplePrompts(),
              s.sampleBefore(),
              null,
              spec.device());
      StageResult r =
          step(
              s.stage(),
              sKey,
              () -> train.train(new TrainPayload(ref(s.stage(), s.stage(), sKey), req)));
      results.add(r);
      if (s.stage().equals("dpo") || s.stage().equals("kto")) reference = from;
      model = r.next();
      modelKey = sKey;
    }

    private StageResult format(StageSpec s) {
      String[] dataKeys = s.datasets().stream().map(prep.datasetKeys()::get).toArray(String[]::new);
      String fKey = StageKeys.key("format", spec.inputs(s), dataKeys);
      String name = "format-" + s.stage();
      StageResult f =
          step(
              name,
              fKey,
              () -> data.format(new FormatPayload(ref(name, "format", fKey), spec.inputs(s))));
      results.add(f);
      return f;
    }

    /**
     * Tokenized with the base model's tokenizer, so its key covers the format's and the model's.
     */
    private StageResult tokenize(StageSpec s, StageResult f) {
      TokenizeSpec tokSpec = s.args().tokenizeSpec(s.stage(), s.evalRatio());
      String tKey = StageKeys.key("tokenize", tokSpec, f.key(), prep.modelKey());
      String name = "tokenize-" + s.stage();
      StageResult t =
          step(
              name,
              tKey,
              () ->
                  data.tokenize(
                      new TokenizePayload(
                          ref(name, "tokenize", tKey), f.out(), prep.modelDir(), tokSpec)));
      results.add(t);
      tokenized.add(t.out());
      tokenizedKeys.add(t.key());
      return t;
    }

    /** The final model scored on every training stage's tokenized data. */
    private void eval(StageSpec e) {
      List<String> keys = new ArrayList<>(tokenizedKeys);
      keys.add(modelKey);
      String eKey = StageKeys.key("eval", trainParams(spec, e), keys.toArray(String[]::new));
      EvalRequest req =
          new EvalRequest(
              model,
              reference,
              tokenized,
              spec.samplePrompts(),
              e.label(),
              e.args(),
              null,
              spec.device());
      results.add(
          step("eval", eKey, () -> train.eval(new EvalPayload(ref("eval", "eval", eKey), req))));
    }

    /** The final model's adapters merged into the base weights. */
    private void merge(StageSpec mg) {
      String mKey = StageKeys.key("merge", Map.of("dtype", mg.dtype()), modelKey);
      MergeRequest req = new MergeRequest(model, null, mg.dtype(), spec.device());
      results.add(
          step(
              "merge", mKey, () -> data.merge(new MergePayload(ref("merge", "merge", mKey), req))));
    }
  }

  /** A sweep: every variant as a child pipeline, in parallel, grouped under this pipeline's id. */
  private PipelineResult sweep(JsonNode json) {
    List<String> problems = new ArrayList<>();
    List<Sweep.Variant> variants = Sweep.variants(json, problems);
    List<Promise<PipelineResult>> running = new ArrayList<>();
    for (int i = 0; i < variants.size(); i++) {
      String childId = pipelineId + "-" + (i + 1);
      ObjectNode spec = variants.get(i).spec();
      spec.put("group", group);
      spec.put("name", name + "-" + (i + 1));
      children.add(childId + ": " + variants.get(i).label());
      PipelineWorkflow child =
          Workflow.newChildWorkflowStub(
              PipelineWorkflow.class,
              ChildWorkflowOptions.newBuilder().setWorkflowId(childId).build());
      running.add(Async.function(child::run, (JsonNode) spec));
    }
    List<PipelineResult> done = new ArrayList<>();
    ChildWorkflowFailure first = null;
    for (Promise<PipelineResult> p : running) {
      try {
        done.add(p.get());
      } catch (ChildWorkflowFailure f) {
        if (first == null) first = f;
      }
    }
    if (first != null) throw first;
    return new PipelineResult(pipelineId, List.of(), null, done);
  }

  /** Runs one stage's activity, keeping its status current. */
  private <T> T step(String stage, String key, Supplier<T> call) {
    stages.put(stage, stages.get(stage).with("running", key));
    try {
      T r = call.get();
      if (r instanceof StageResult s) stages.put(stage, stages.get(stage).finished(s));
      return r;
    } catch (ActivityFailure f) {
      boolean cancelled =
          f.getCause() instanceof CanceledFailure
              || CancellationScope.current().isCancelRequested();
      stages.put(stage, stages.get(stage).failed(cancelled ? "cancelled" : "failed", describe(f)));
      throw f;
    } catch (CanceledFailure f) {
      stages.put(stage, stages.get(stage).failed("cancelled", "cancelled"));
      throw f;
    }
  }

  private void plan(PipelineSpec spec) {
    for (String step : spec.steps()) {
      // a format- or tokenize- step is of its own kind; any other is named after its kind
      int dash = step.indexOf('-');
      stages.put(step, StageStatus.pending(step, dash < 0 ? step : step.substring(0, dash)));
    }
  }

  /** What a training stage's key covers: its hyperparameters, prompts and sampling. */
  private static Map<String, Object> trainParams(PipelineSpec spec, StageSpec s) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("args", s.args().toJson());
    p.put("sample_prompts", spec.samplePrompts());
    p.put("sample_before", s.sampleBefore());
    p.put("label", s.label());
    return p;
  }

  /** The spec's missing local files, found on its data queue (the workflow's own if unknown). */
  private static List<String> missingFiles(PipelineSpec spec, JsonNode json) {
    ActivityOptions.Builder o =
        ActivityOptions.newBuilder()
            .setStartToCloseTimeout(Duration.ofMinutes(1))
            .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(3).build());
    if (spec != null && spec.queues().cpu() != null) o.setTaskQueue(spec.queues().cpu());
    return Workflow.newActivityStub(DataActivities.class, o.build()).missingFiles(json);
  }

  private static ActivityOptions options(PipelineSpec spec, String queue, int attempts) {
    return ActivityOptions.newBuilder()
        .setTaskQueue(queue != null ? queue : Workflow.getInfo().getTaskQueue())
        .setStartToCloseTimeout(Duration.ofDays(2))
        .setHeartbeatTimeout(Duration.ofSeconds(spec.heartbeatTimeoutSeconds()))
        .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
        .setRetryOptions(
            RetryOptions.newBuilder()
                .setInitialInterval(Duration.ofSeconds(1))
                .setBackoffCoefficient(2.0)
                .setMaximumInterval(Duration.ofMinutes(1))
                .setMaximumAttempts(attempts)
                .setDoNotRetry(NON_RETRYABLE)
                .build())
        .build();
  }

  private static StageResult downloadResult(Prepared p) {
    return new StageResult(
        "download",
        "download",
        p.modelKey(),
        p.modelDir(),
        false,
        p.trackerRunId(),
        null,
        0,
        0,
        Map.of(),
        0,
        0);
  }

  private static String describe(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null
        && c instanceof TemporalFailure
        && !(c instanceof ApplicationFailure)) c = c.getCause();
    if (c instanceof ApplicationFailure a) return a.getOriginalMessage();
    return c.getMessage();
  }

  @Override
  public PipelineStatus status() {
    return new PipelineStatus(
        pipelineId,
        name,
        project,
        group,
        state,
        List.copyOf(stages.values()),
        List.copyOf(children),
        error);
  }

  @Override
  public Map<String, String> artifacts() {
    Map<String, String> out = new LinkedHashMap<>();
    stages.values().stream().filter(s -> s.out() != null).forEach(s -> out.put(s.name(), s.out()));
    return out;
  }

  @Override
  public Map<String, Long> trackerRuns() {
    Map<String, Long> out = new LinkedHashMap<>();
    stages.values().stream()
        .filter(s -> s.trackerRunId() != null)
        .forEach(s -> out.put(s.name(), s.trackerRunId()));
    return out;
  }

  @Override
  public void stageProgress(StageProgress p) {
    StageStatus s = stages.get(p.name());
    if (s != null && s.state().equals("running")) stages.put(p.name(), s.progressed(p));
  }
}
