package io.liandan.contracts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.spec.DatasetInput;
import io.liandan.spec.EvalRequest;
import io.liandan.spec.MergeRequest;
import io.liandan.spec.ModelSource;
import io.liandan.spec.TrainRequest;
import io.liandan.spec.TrainingArgs;
import java.util.List;

/**
 * The one payload every stage activity took before each had its own (until 2026-12), read so that
 * an activity the previous version scheduled still runs on this one: a stage running while its
 * worker is upgraded is retried with the input it was scheduled with, and a training stage resumes
 * from its checkpoints only if that input still reads. Only read, never written; each payload's
 * {@code read} turns it into that payload. Fields a stage did not use were null.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record StageRequestV1(
    String pipelineId,
    String group,
    String project,
    String name,
    String kind,
    String key,
    String modelDir,
    ModelSource model,
    ModelSource reference,
    List<DatasetInput> datasets,
    List<String> inputs,
    TrainingArgs args,
    String trainingStage,
    double evalRatio,
    List<String> samplePrompts,
    boolean sampleBefore,
    String label,
    String dtype,
    String device,
    double progressIntervalSeconds) {
  /** Whether {@code json} has this shape: its stage fields at the top, not under "stage". */
  static boolean is(JsonNode json) {
    return json.has("pipelineId") && !json.has("stage");
  }

  static StageRequestV1 of(JsonNode json) {
    return PayloadJson.JSON.convertValue(json, StageRequestV1.class);
  }

  StageRef stage() {
    return new StageRef(pipelineId, group, project, name, kind, key, progressIntervalSeconds);
  }

  FormatPayload format() {
    return new FormatPayload(stage(), datasets);
  }

  TokenizePayload tokenize() {
    return new TokenizePayload(
        stage(), inputs.get(0), modelDir, args.tokenizeSpec(trainingStage, evalRatio));
  }

  TrainPayload train() {
    return new TrainPayload(
        stage(),
        new TrainRequest(
            kind, model, inputs.get(0), args, samplePrompts, sampleBefore, null, device));
  }

  EvalPayload eval() {
    return new EvalPayload(
        stage(),
        new EvalRequest(model, reference, inputs, samplePrompts, label, args, null, device));
  }

  MergePayload merge() {
    return new MergePayload(stage(), new MergeRequest(model, null, dtype, device));
  }
}
