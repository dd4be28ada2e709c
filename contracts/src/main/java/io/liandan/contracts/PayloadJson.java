package io.liandan.contracts;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

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

  static <T> T part(JsonNode json, String name, TypeReference<T> type) {
    JsonNode v = json.get(name);
    return v == null || v.isNull() ? null : JSON.convertValue(v, type);
  }
}
