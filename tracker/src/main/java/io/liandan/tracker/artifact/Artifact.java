package io.liandan.tracker.artifact;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;

/** An artifact: a model folder, adapter, dataset or shard set, by URI, with its producer run. */
public record Artifact(
    long id,
    String name,
    String type,
    String uri,
    String sha256,
    Long size,
    JsonNode metadata,
    Long producerRunId,
    OffsetDateTime createdAt) {}
