package io.liandan.tracker.run;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * {@code PATCH /api/v1/runs/{id}}: every field optional. {@code summary}, {@code config} and {@code
 * labels} are merged key by key into the stored objects (as wandb's {@code summary.update}); {@code
 * tags} replaces the list. Any PATCH, even {@code {}}, is also a heartbeat.
 */
public record PatchRunRequest(
    String state,
    JsonNode summary,
    JsonNode config,
    String notes,
    List<String> tags,
    JsonNode labels,
    String name) {}
