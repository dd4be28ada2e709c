package io.liandan.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.spec.MergeRequest;

/** The merge stage's input: llm's request, its {@code out} folder left to the activity. */
public record MergePayload(StageRef stage, MergeRequest request) {
  /** Reads this shape, or the previous version's one payload for every stage. */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static MergePayload read(JsonNode json) {
    return PayloadJson.stageAndRequest(
        json, StageRequestV1::merge, MergeRequest.class, MergePayload::new);
  }
}
