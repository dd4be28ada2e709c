package io.liandan.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.spec.TrainRequest;

/**
 * A training stage's input: llm's request as the stage runs it, without its {@code out} folder,
 * which the activity picks (the stage cache's folder for the stage's key).
 */
public record TrainPayload(StageRef stage, TrainRequest request) {
  /** Reads this shape, or the previous version's one payload for every stage. */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static TrainPayload read(JsonNode json) {
    return PayloadJson.stageAndRequest(
        json, StageRequestV1::train, TrainRequest.class, TrainPayload::new);
  }
}
