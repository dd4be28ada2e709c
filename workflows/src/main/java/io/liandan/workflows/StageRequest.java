package io.liandan.workflows;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.liandan.activities.data.DatasetInput;
import io.liandan.llm.stage.ModelSource;
import io.liandan.llm.stage.TrainingArgs;
import java.util.List;

/**
 * What the workflow hands a stage activity: who it is ({@code name}, e.g. {@code sft} or {@code
 * tokenize-sft}; {@code kind}; its content {@code key}; the pipeline and tracker group it belongs
 * to) and its inputs, as paths and settings only — never data. Fields a stage does not use are
 * null.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StageRequest(
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
  public StageRequest {
    datasets = datasets == null ? List.of() : List.copyOf(datasets);
    inputs = inputs == null ? List.of() : List.copyOf(inputs);
    samplePrompts = samplePrompts == null ? List.of() : List.copyOf(samplePrompts);
  }

  /**
   * The tracker run's key for a stage this pipeline starts: one run per stage of a pipeline,
   * resumed by a retried attempt (a stage folder another pipeline started keeps that one's key).
   */
  public String runKey() {
    return pipelineId + "/" + name;
  }

  public StageRequest withDatasets(List<DatasetInput> d) {
    return new StageRequest(
        pipelineId,
        group,
        project,
        name,
        kind,
        key,
        modelDir,
        model,
        reference,
        d,
        inputs,
        args,
        trainingStage,
        evalRatio,
        samplePrompts,
        sampleBefore,
        label,
        dtype,
        device,
        progressIntervalSeconds);
  }

  public StageRequest withInputs(List<String> in) {
    return new StageRequest(
        pipelineId,
        group,
        project,
        name,
        kind,
        key,
        modelDir,
        model,
        reference,
        datasets,
        in,
        args,
        trainingStage,
        evalRatio,
        samplePrompts,
        sampleBefore,
        label,
        dtype,
        device,
        progressIntervalSeconds);
  }

  /** The downloaded model folder (tokenizer), the model to start from, DPO's reference. */
  public StageRequest withModel(String dir, ModelSource m, ModelSource ref) {
    return new StageRequest(
        pipelineId,
        group,
        project,
        name,
        kind,
        key,
        dir,
        m,
        ref,
        datasets,
        inputs,
        args,
        trainingStage,
        evalRatio,
        samplePrompts,
        sampleBefore,
        label,
        dtype,
        device,
        progressIntervalSeconds);
  }
}
