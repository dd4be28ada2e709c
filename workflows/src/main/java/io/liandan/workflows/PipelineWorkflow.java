package io.liandan.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.contracts.StageProgress;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.util.Map;

/**
 * One pipeline: download → format → tokenize → pt → sft → dpo → eval → merge, the subset its spec
 * names. Input: the spec's JSON as written (so {@code temporal workflow start --input-file
 * spec.json} works); it is validated before any stage runs.
 */
@WorkflowInterface
public interface PipelineWorkflow {
  String TYPE = "PipelineWorkflow";

  @WorkflowMethod
  PipelineResult run(JsonNode spec);

  /** Every stage's state, step/total, metrics and ETA. */
  @QueryMethod
  PipelineStatus status();

  /** Stage name → output folder, for the stages done so far. */
  @QueryMethod
  Map<String, String> artifacts();

  /** Stage name → tracker run id. */
  @QueryMethod
  Map<String, Long> trackerRuns();

  /** Sent by a running stage's activity (throttled). */
  @SignalMethod
  void stageProgress(StageProgress progress);
}
