package io.liandan.workflows;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.liandan.contracts.StageResult;
import io.liandan.spec.ModelSource;
import java.util.List;

/** A finished pipeline: every stage's result in order, the final model, a sweep's children. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PipelineResult(
    String pipelineId, List<StageResult> stages, ModelSource model, List<PipelineResult> children) {
  public StageResult stage(String name) {
    return stages.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
  }
}
