package io.liandan.contracts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.liandan.spec.ModelSource;
import java.util.Map;

/**
 * What a stage produced, also its folder's completion marker ({@code stage.json}, written last):
 * the folder, the model the next stage starts from (training stages), steps and the step it resumed
 * from, final metrics, and the tracker run that recorded it. {@code cached} is true when the folder
 * already existed and nothing ran; the tracker run is then the one that made it (linked, not
 * duplicated). {@code seconds}: the stage's own work as the activity timed it; {@code
 * listenerSeconds}: the part of it spent reporting (heartbeats, progress signals, the tracker
 * buffer written at checkpoints).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StageResult(
    String name,
    String kind,
    String key,
    String out,
    boolean cached,
    Long trackerRunId,
    ModelSource next,
    long steps,
    long resumedFromStep,
    Map<String, Double> metrics,
    double seconds,
    double listenerSeconds) {
  public static final String MARKER = "stage.json";

  public StageResult {
    metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
  }

  public StageResult asCached() {
    return new StageResult(
        name,
        kind,
        key,
        out,
        true,
        trackerRunId,
        next,
        steps,
        resumedFromStep,
        metrics,
        seconds,
        listenerSeconds);
  }
}
