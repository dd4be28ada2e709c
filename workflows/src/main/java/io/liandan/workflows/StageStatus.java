package io.liandan.workflows;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.liandan.contracts.StageProgress;
import io.liandan.contracts.StageResult;
import java.util.Map;

/**
 * One stage as the {@code status} query shows it. {@code state}: pending, running, done, cached
 * (its output existed; nothing ran), failed, cancelled.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StageStatus(
    String name,
    String kind,
    String key,
    String state,
    long step,
    long total,
    Map<String, Double> metrics,
    double etaSeconds,
    String lastCheckpoint,
    long resumedFromStep,
    int attempt,
    Long trackerRunId,
    String out,
    String error) {
  public static StageStatus pending(String name, String kind) {
    return new StageStatus(
        name, kind, null, "pending", 0, 0, Map.of(), 0, null, 0, 0, null, null, null);
  }

  StageStatus with(String newState, String newKey) {
    return new StageStatus(
        name,
        kind,
        newKey,
        newState,
        step,
        total,
        metrics,
        etaSeconds,
        lastCheckpoint,
        resumedFromStep,
        attempt,
        trackerRunId,
        out,
        error);
  }

  StageStatus progressed(StageProgress p) {
    return new StageStatus(
        name,
        kind,
        key,
        state,
        p.step(),
        p.total(),
        p.metrics() == null ? metrics : p.metrics(),
        p.etaSeconds(),
        p.lastCheckpoint() == null ? lastCheckpoint : p.lastCheckpoint(),
        p.resumedFromStep(),
        p.attempt(),
        trackerRunId,
        out,
        error);
  }

  StageStatus finished(StageResult r) {
    return new StageStatus(
        name,
        kind,
        r.key(),
        r.cached() ? "cached" : "done",
        r.steps() > 0 ? r.steps() : step,
        r.steps() > 0 ? r.steps() : total,
        r.metrics().isEmpty() ? metrics : r.metrics(),
        0,
        lastCheckpoint,
        r.resumedFromStep(),
        attempt,
        r.trackerRunId(),
        r.out(),
        null);
  }

  StageStatus failed(String newState, String why) {
    return new StageStatus(
        name,
        kind,
        key,
        newState,
        step,
        total,
        metrics,
        0,
        lastCheckpoint,
        resumedFromStep,
        attempt,
        trackerRunId,
        out,
        why);
  }
}
