package io.liandan.tracker.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Deterministic test points: a value for every (key, step), and the check that all arrived. */
final class Points {
  static final List<String> KEYS = List.of("train/loss", "train/lr", "eval/loss");

  private Points() {}

  static double value(String key, long step) {
    return key.length() * 1e-3 + step * 0.25 + 1.0 / (step + 3);
  }

  /**
   * Logs steps [from, to) of every key, taking about {@code millis} in all (0: as fast as it can).
   */
  static void log(RunHandle run, long from, long to, long millis) {
    long t0 = System.nanoTime();
    for (long step = from; step < to; step++) {
      for (String key : KEYS) {
        run.log(key, step, value(key, step));
      }
      if (millis > 0 && (step - from) % 50 == 0) {
        long due = t0 + (step - from) * millis * 1_000_000L / (to - from);
        long ahead = due - System.nanoTime();
        if (ahead > 0) {
          sleep(ahead / 1_000_000L);
        }
      }
    }
  }

  static Map<Long, Double> expected(String key, long from, long to) {
    TreeMap<Long, Double> m = new TreeMap<>();
    for (long step = from; step < to; step++) {
      m.put(step, value(key, step));
    }
    return m;
  }

  /** Every key's series equals steps [from, to) exactly. */
  static void assertArrived(TestTracker tracker, long runId, long from, long to) {
    for (String key : KEYS) {
      Map<Long, Double> got = tracker.series(runId, key);
      assertEquals(to - from, got.size(), key + ": points stored");
      assertEquals(expected(key, from, to), got, key);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
