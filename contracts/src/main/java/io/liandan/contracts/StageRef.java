package io.liandan.contracts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Which stage a payload is for, beside its inputs: its name (e.g. {@code sft} or {@code
 * tokenize-sft}), kind and content key (its folder), the pipeline and tracker group and project it
 * belongs to, and how often it signals progress to the workflow.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StageRef(
    String pipelineId,
    String group,
    String project,
    String name,
    String kind,
    String key,
    double progressIntervalSeconds) {
  /**
   * The tracker run's key for a stage this pipeline starts: one run per stage of a pipeline,
   * resumed by a retried attempt (a stage folder another pipeline started keeps that one's key).
   */
  public String runKey() {
    return pipelineId + "/" + name;
  }
}
