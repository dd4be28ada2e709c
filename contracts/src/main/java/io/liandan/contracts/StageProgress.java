package io.liandan.contracts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Map;

/**
 * A running stage's progress, signalled by its activity to the workflow (throttled): step of total,
 * the last checkpoint, the latest metrics, and the ETA the activity measured.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StageProgress(
    String name,
    long step,
    long total,
    String lastCheckpoint,
    Map<String, Double> metrics,
    double etaSeconds,
    long resumedFromStep,
    int attempt) {}
