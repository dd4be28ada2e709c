package io.liandan.tracker.mlflow;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.io.IOException;
import java.util.List;

/**
 * MLflow's REST shapes (api/2.0/mlflow): snake_case, unknown fields ignored, nulls left out. int64
 * fields may arrive as JSON strings (protobuf's JSON mapping, which MLflow's Python client uses).
 */
public final class MlflowJson {
  private MlflowJson() {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record KeyValue(
      @JsonDeserialize(using = Text.class) String key,
      @JsonDeserialize(using = Text.class) String value) {}

  /**
   * MLflow's string fields take JSON strings only, as protobuf's JSON parser does: a number sent as
   * a param value is a client bug (400), not something to coerce silently.
   */
  static final class Text extends StdDeserializer<String> {
    Text() {
      super(String.class);
    }

    @Override
    public String deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      if (p.currentToken() != JsonToken.VALUE_STRING) {
        throw MismatchedInputException.from(
            p, String.class, "expected a JSON string, got " + p.currentToken());
      }
      return p.getText();
    }
  }

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record CreateExperiment(String name, String artifactLocation, List<KeyValue> tags) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record SearchExperiments(
      Integer maxResults, String pageToken, String filter, List<String> orderBy, String viewType) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Experiment(
      String experimentId,
      String name,
      String artifactLocation,
      String lifecycleStage,
      Long lastUpdateTime,
      Long creationTime,
      List<KeyValue> tags) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record CreateRun(
      String experimentId, String userId, String runName, Long startTime, List<KeyValue> tags) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record UpdateRun(
      String runId, String runUuid, String status, Long endTime, String runName) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RunInfo(
      String runId,
      String runUuid,
      String runName,
      String experimentId,
      String userId,
      String status,
      Long startTime,
      Long endTime,
      String artifactUri,
      String lifecycleStage) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Metric(String key, Double value, Long timestamp, Long step) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record RunData(List<Metric> metrics, List<KeyValue> params, List<KeyValue> tags) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Run(RunInfo info, RunData data) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record LogBatch(
      String runId,
      String runUuid,
      List<Metric> metrics,
      List<KeyValue> params,
      List<KeyValue> tags) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record LogMetric(
      String runId, String runUuid, String key, Double value, Long timestamp, Long step) {}

  /** log-parameter and set-tag. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record LogKeyValue(
      String runId,
      String runUuid,
      @JsonDeserialize(using = Text.class) String key,
      @JsonDeserialize(using = Text.class) String value) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record SearchRuns(
      List<String> experimentIds,
      String filter,
      String runViewType,
      Integer maxResults,
      List<String> orderBy,
      String pageToken) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ExperimentsPage(List<Experiment> experiments, String nextPageToken) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RunsPage(List<Run> runs, String nextPageToken) {}

  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record MetricsPage(List<Metric> metrics, String nextPageToken) {}
}
