package io.liandan.llm.stage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Keeps what a stage reported: metric lines by step, sample rows, the summary. */
class RecordingListener implements StageListener {
  final TreeMap<Long, Map<String, Double>> lines = new TreeMap<>();
  final List<Map<String, Object>> samples = new ArrayList<>();
  Map<String, Object> summary;

  /** "metrics N", "before-checkpoint N", "checkpoint N" (the first progress naming a new one). */
  final List<String> events = new ArrayList<>();

  private String lastCheckpoint;

  @Override
  public void beforeCheckpoint(long step) {
    events.add("before-checkpoint " + step);
  }

  @Override
  public void progress(long step, long totalSteps, String checkpoint) {
    if (checkpoint != null && !checkpoint.equals(lastCheckpoint)) events.add("checkpoint " + step);
    lastCheckpoint = checkpoint;
  }

  @Override
  public void metrics(long step, Map<String, Double> values) {
    lines.computeIfAbsent(step, s -> new TreeMap<>()).putAll(values);
    events.add("metrics " + step);
  }

  @Override
  public void samples(String table, long step, List<Map<String, Object>> rows) {
    samples.addAll(rows);
  }

  @Override
  public void summary(Map<String, Object> values) {
    summary = values;
  }

  /** {@code key}'s value per step where it was logged. */
  TreeMap<Long, Double> series(String key) {
    TreeMap<Long, Double> s = new TreeMap<>();
    lines.forEach(
        (step, v) -> {
          if (v.containsKey(key)) s.put(step, v.get(key));
        });
    return s;
  }
}
