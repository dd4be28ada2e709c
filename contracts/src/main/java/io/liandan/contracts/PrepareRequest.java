package io.liandan.contracts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.spec.DatasetInput;
import java.util.Map;

/**
 * The download stage's input: the pipeline's spec (stored under the Liandan home so that {@code
 * liandan resume} can start it again), its model source and datasets.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PrepareRequest(
    String pipelineId,
    String group,
    String project,
    JsonNode spec,
    String model,
    Map<String, DatasetInput> datasets) {}
