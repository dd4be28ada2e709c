package io.liandan.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.spec.EvalRequest;

/** The eval stage's input: llm's request, its {@code out} folder left to the activity. */
public record EvalPayload(StageRef stage, EvalRequest request) {
  /** Reads this shape, or the previous version's one payload for every stage. */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static EvalPayload read(JsonNode json) {
    return PayloadJson.stageAndRequest(
        json, StageRequestV1::eval, EvalRequest.class, EvalPayload::new);
  }
}
