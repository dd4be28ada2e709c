package io.liandan.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.spec.TokenizeSpec;

/**
 * The tokenize stage's input: the format stage's folder, the downloaded model folder (its tokenizer
 * and chat template) and how to tokenize — the spec the stage's key was computed from.
 */
public record TokenizePayload(
    StageRef stage, String formatted, String modelDir, TokenizeSpec spec) {
  /** Reads this shape, or the previous version's one payload for every stage. */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static TokenizePayload read(JsonNode json) {
    if (StageRequestV1.is(json)) return StageRequestV1.of(json).tokenize();
    return new TokenizePayload(
        PayloadJson.part(json, "stage", StageRef.class),
        PayloadJson.part(json, "formatted", String.class),
        PayloadJson.part(json, "modelDir", String.class),
        PayloadJson.part(json, "spec", TokenizeSpec.class));
  }
}
