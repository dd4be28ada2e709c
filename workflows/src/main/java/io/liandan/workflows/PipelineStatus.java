package io.liandan.workflows;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * The {@code status} query's answer: the pipeline's state (running, completed, failed, cancelled),
 * every planned stage in order, and for a sweep its child pipelines ({@code id: overrides}).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PipelineStatus(
    String pipelineId,
    String name,
    String project,
    String group,
    String state,
    List<StageStatus> stages,
    List<String> children,
    String error) {}
