package io.liandan.contracts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Map;

/**
 * The download stage's result: the model folder (Hub snapshot or local) and content keys of the
 * model and of every dataset, which the later stages' keys are computed from.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Prepared(
    String modelDir, String modelKey, Map<String, String> datasetKeys, Long trackerRunId) {
  public Prepared {
    datasetKeys = datasetKeys == null ? Map.of() : Map.copyOf(datasetKeys);
  }
}
