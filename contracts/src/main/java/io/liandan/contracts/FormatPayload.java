package io.liandan.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.spec.DatasetInput;
import java.util.List;

/** The format stage's input: the datasets a training stage reads, in its order. */
public record FormatPayload(StageRef stage, List<DatasetInput> datasets) {
  public FormatPayload {
    datasets = datasets == null ? List.of() : List.copyOf(datasets);
  }

  /** Reads this shape, or the previous version's one payload for every stage. */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  static FormatPayload read(JsonNode json) {
    if (StageRequestV1.is(json)) return StageRequestV1.of(json).format();
    return new FormatPayload(
        PayloadJson.part(json, "stage", StageRef.class),
        PayloadJson.part(json, "datasets", new TypeReference<List<DatasetInput>>() {}));
  }
}
