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
record StageRequestV1(StageRef stage, StageRequestV1.Inputs in) {
  /** The fields beside the stage's own (which {@link StageRef} reads from the same object). */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Inputs(
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
      String device) {}

  /** Whether {@code json} has this shape: its stage fields at the top, not under "stage". */
  static boolean is(JsonNode json) {
    return json.has("pipelineId") && !json.has("stage");
  }

  static StageRequestV1 of(JsonNode json) {
    return new StageRequestV1(
        PayloadJson.JSON.convertValue(json, StageRef.class),
        PayloadJson.JSON.convertValue(json, Inputs.class));
  }

  FormatPayload format() {
    return new FormatPayload(stage, in.datasets);
  }

  TokenizePayload tokenize() {
    return new TokenizePayload(
        stage, in.inputs.get(0), in.modelDir, in.args.tokenizeSpec(in.trainingStage, in.evalRatio));
  }

  TrainPayload train() {
    return new TrainPayload(
        stage,
        new TrainRequest(
            stage.kind(),
            in.model,
            in.inputs.get(0),
            in.args,
            in.samplePrompts,
            in.sampleBefore,
            null,
            in.device));
  }

  EvalPayload eval() {
    return new EvalPayload(
        stage,
        new EvalRequest(
            in.model,
            in.reference,
            in.inputs,
            in.samplePrompts,
            in.label,
            in.args,
            null,
            in.device));
  }

  MergePayload merge() {
    return new MergePayload(stage, new MergeRequest(in.model, null, in.dtype, in.device));
  }
}
