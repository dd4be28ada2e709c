package io.liandan.contracts;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Reads the parts of a stage payload for its creator, which also accepts the previous version's
 * shape ({@link StageRequestV1}) and so cannot let Jackson bind the record itself.
 */
final class PayloadJson {
  static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private PayloadJson() {}

  /** {@code json}'s field {@code name} as a {@code type}; null when absent. */
  static <T> T part(JsonNode json, String name, Class<T> type) {
    JsonNode v = json.get(name);
    return v == null || v.isNull() ? null : JSON.convertValue(v, type);
  }

  /**
   * A payload of a stage and llm's request ({@code json}'s "stage" and "request"), or, in the
   * previous version's shape, what {@code v1} makes of it.
   */
  static <R, P> P stageAndRequest(
      JsonNode json,
      Function<StageRequestV1, P> v1,
      Class<R> request,
      BiFunction<StageRef, R, P> payload) {
    if (StageRequestV1.is(json)) return v1.apply(StageRequestV1.of(json));
    return payload.apply(part(json, "stage", StageRef.class), part(json, "request", request));
  }

  static <T> T part(JsonNode json, String name, TypeReference<T> type) {
    JsonNode v = json.get(name);
    return v == null || v.isNull() ? null : JSON.convertValue(v, type);
  }
}
