package io.liandan.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.contracts.DataActivities;
import io.liandan.contracts.EvalPayload;
import io.liandan.contracts.FormatPayload;
import io.liandan.contracts.MergePayload;
import io.liandan.contracts.PrepareRequest;
import io.liandan.contracts.Prepared;
import io.liandan.contracts.StageProgress;
import io.liandan.contracts.StageRef;
import io.liandan.contracts.StageResult;
import io.liandan.contracts.TokenizePayload;
import io.liandan.contracts.TrainActivities;
import io.liandan.contracts.TrainPayload;
import io.liandan.spec.ModelSource;
import io.temporal.activity.Activity;
import io.temporal.client.ActivityCanceledException;
import io.temporal.client.WorkflowClient;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Stage activities that record their calls and do no work, for workflow tests. */
final class FakeStages implements DataActivities, TrainActivities {
  enum Mode {
    NORMAL,
    BAD_TOKENIZE,
    FLAKY_SFT,
    HANG_SFT
  }

  static volatile Mode mode = Mode.NORMAL;
  static volatile WorkflowClient client;
  static volatile boolean sawCancel;
  static final List<String> calls = Collections.synchronizedList(new ArrayList<>());
  static final Map<String, Integer> attempts = Collections.synchronizedMap(new LinkedHashMap<>());

  static void reset(Mode m, WorkflowClient c) {
    mode = m;
    client = c;
    sawCancel = false;
    calls.clear();
    attempts.clear();
    missing.clear();
  }

  /** The files the fake worker does not have (none unless a test names some). */
  static final List<String> missing = new java.util.concurrent.CopyOnWriteArrayList<>();

  @Override
  public List<String> missingFiles(JsonNode spec) {
    return List.copyOf(missing);
  }

  @Override
  public Prepared download(PrepareRequest r) {
    calls.add("download");
    Map<String, String> keys = new LinkedHashMap<>();
    r.datasets().keySet().forEach(k -> keys.put(k, "data-" + k));
    return new Prepared(r.model(), "model-key", keys, 1L);
  }

  @Override
  public StageResult format(FormatPayload p) {
    return done(p.stage(), null);
  }

  @Override
  public StageResult tokenize(TokenizePayload p) {
    StageRef r = p.stage();
    if (mode == Mode.BAD_TOKENIZE && r.name().equals("tokenize-sft")) {
      calls.add(r.name());
      throw ApplicationFailure.newNonRetryableFailure(
          "chat.jsonl line 3: no assistant turn", "BadInput");
    }
    return done(r, null);
  }

  @Override
  public StageResult merge(MergePayload p) {
    return done(p.stage(), null);
  }

  @Override
  public StageResult train(TrainPayload p) {
    StageRef r = p.stage();
    int attempt = Activity.getExecutionContext().getInfo().getAttempt();
    attempts.merge(r.name(), 1, Integer::sum);
    if (mode == Mode.FLAKY_SFT && r.name().equals("sft") && attempt < 3) {
      calls.add(r.name() + "#" + attempt);
      throw new IllegalStateException("worker lost its disk for a moment");
    }
    if (mode == Mode.HANG_SFT && r.name().equals("sft")) {
      calls.add(r.name());
      client
          .newUntypedWorkflowStub(r.pipelineId(), Optional.empty(), Optional.empty())
          .signal(
              "stageProgress",
              new StageProgress(
                  "sft", 2, 6, "/ckpt/step-2", Map.of("train/loss", 1.5), 12.0, 0, attempt));
      try {
        for (int i = 0; ; i++) {
          Activity.getExecutionContext().heartbeat(i);
          Thread.sleep(50);
        }
      } catch (ActivityCanceledException e) {
        sawCancel = true;
        throw e;
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }
    return done(
        r,
        p.request().model().withAdapter(java.nio.file.Path.of("/a/" + r.kind() + "-" + r.key())));
  }

  /** The reference model the last eval was given (the preference stage's start). */
  static volatile ModelSource evalReference;

  @Override
  public StageResult eval(EvalPayload p) {
    evalReference = p.request().reference();
    return done(p.stage(), null);
  }

  private static StageResult done(StageRef r, ModelSource next) {
    calls.add(r.name());
    return new StageResult(
        r.name(),
        r.kind(),
        r.key(),
        "/a/" + r.kind() + "-" + r.key(),
        false,
        (long) (calls.size() + 1),
        next,
        next == null ? 0 : 6,
        0,
        Map.of("loss", 1.0),
        0,
        0);
  }
}
