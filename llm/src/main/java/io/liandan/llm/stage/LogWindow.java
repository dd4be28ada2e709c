package io.liandan.llm.stage;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Means of step metrics over the steps since the last log, as Trainer logs its loss and TRL its
 * rewards. The sums survive a resume through the checkpoint's carry, so that the first line logged
 * after a resume equals the uninterrupted run's.
 */
final class LogWindow {
  private static final String STEPS = "__steps";
  private final Map<String, Double> sums = new TreeMap<>();
  private long steps;

  void add(Map<String, Double> values) {
    values.forEach((k, v) -> sums.merge(k, v, Double::sum));
    steps++;
  }

  /** The means since the last drain; starts a new window. */
  Map<String, Double> drain() {
    Map<String, Double> means = new LinkedHashMap<>();
    sums.forEach((k, v) -> means.put(k, v / steps));
    sums.clear();
    steps = 0;
    return means;
  }

  Map<String, Double> carry() {
    Map<String, Double> c = new TreeMap<>(sums);
    c.put(STEPS, (double) steps);
    return c;
  }

  void restore(Map<String, Double> carry) {
    sums.clear();
    carry.forEach(
        (k, v) -> {
          if (!k.startsWith("__")) sums.put(k, v); // the step count, others' state (GradScaler)
        });
    steps = carry.getOrDefault(STEPS, 0.0).longValue();
  }
}
