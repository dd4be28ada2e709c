package io.liandan.tracker.run;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * {@code POST /api/v1/runs}. With a {@code key} that already exists in the project the stored run
 * is resumed (state back to running, heartbeat now) and returned unchanged otherwise.
 */
public record CreateRunRequest(
    String project,
    String key,
    String name,
    String group,
    @JsonAlias("job_type") String jobType,
    JsonNode config,
    List<String> tags,
    JsonNode labels,
    String notes,
    @JsonAlias("workflow_id") String workflowId,
    @JsonAlias("activity_id") String activityId) {}
