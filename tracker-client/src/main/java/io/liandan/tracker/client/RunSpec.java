package io.liandan.tracker.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@code POST /api/v1/runs} creates. {@code key} is the caller's name for the run, unique in
 * the project — the pipeline's workflow id + stage (e.g. {@code "wf-42/sft"}) — so that a resumed
 * stage gets its own run back instead of a new one.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunSpec(
    String project,
    String key,
    String name,
    String group,
    String jobType,
    Map<String, ?> config,
    List<String> tags,
    String notes,
    String workflowId,
    String activityId) {

  public RunSpec {
    Objects.requireNonNull(project, "project");
    Objects.requireNonNull(key, "key (create-or-resume needs one)");
  }

  public static RunSpec of(String project, String key) {
    return new RunSpec(project, key, null, null, null, null, null, null, null, null);
  }

  public RunSpec withName(String n) {
    return new RunSpec(
        project, key, n, group, jobType, config, tags, notes, workflowId, activityId);
  }

  /** The pipeline (group) and stage (job type). */
  public RunSpec withStage(String group, String jobType) {
    return new RunSpec(
        project, key, name, group, jobType, config, tags, notes, workflowId, activityId);
  }

  public RunSpec withConfig(Map<String, ?> c) {
    return new RunSpec(project, key, name, group, jobType, c, tags, notes, workflowId, activityId);
  }

  public RunSpec withTags(List<String> t) {
    return new RunSpec(
        project, key, name, group, jobType, config, t, notes, workflowId, activityId);
  }

  /** Temporal's workflow and activity ids, recorded on the run. */
  public RunSpec withTemporal(String workflow, String activity) {
    return new RunSpec(project, key, name, group, jobType, config, tags, notes, workflow, activity);
  }
}
