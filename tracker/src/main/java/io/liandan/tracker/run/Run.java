package io.liandan.tracker.run;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.tracker.metric.SeriesSummary;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/**
 * A run as the API returns it. {@code summary} is what the client set (PATCH merges into it);
 * {@code labels} are key/value labels (MLflow's tags); {@code metrics} is the server-kept summary
 * of every logged series, keyed by metric key; {@code resumedAt} when the run was resumed by key (a
 * retried or resumed pipeline stage), oldest first.
 */
public record Run(
    long id,
    String project,
    String key,
    String name,
    String group,
    String jobType,
    String state,
    JsonNode config,
    JsonNode summary,
    List<String> tags,
    JsonNode labels,
    String notes,
    String workflowId,
    String activityId,
    OffsetDateTime createdAt,
    OffsetDateTime updatedAt,
    OffsetDateTime finishedAt,
    OffsetDateTime heartbeatAt,
    List<OffsetDateTime> resumedAt,
    Map<String, SeriesSummary> metrics) {

  Run withMetrics(Map<String, SeriesSummary> m) {
    return new Run(
        id,
        project,
        key,
        name,
        group,
        jobType,
        state,
        config,
        summary,
        tags,
        labels,
        notes,
        workflowId,
        activityId,
        createdAt,
        updatedAt,
        finishedAt,
        heartbeatAt,
        resumedAt,
        m);
  }
}
