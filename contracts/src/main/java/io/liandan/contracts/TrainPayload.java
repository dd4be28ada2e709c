package io.liandan.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.spec.TrainRequest;

/**
 * A training stage's input: llm's request as the stage runs it, without its {@code out} folder,
 * which the activity picks (the stage cache's folder for the stage's key).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TrainPayload(StageRef stage, TrainRequest request) {
  /** Reads this shape, or the previous version's one payload for every stage. */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static TrainPayload read(JsonNode json) {
    if (StageRequestV1.is(json)) return StageRequestV1.of(json).train();
    return new TrainPayload(
        PayloadJson.part(json, "stage", StageRef.class),
        PayloadJson.part(json, "request", TrainRequest.class));
  }
}
