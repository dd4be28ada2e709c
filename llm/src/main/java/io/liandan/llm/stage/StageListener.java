package io.liandan.llm.stage;

import java.util.List;
import java.util.Map;

/**
 * What a stage tells the outside world while it runs: metrics per step, sample tables, and progress
 * (the activity turns it into Temporal heartbeats; an exception thrown from {@link #progress}, such
 * as Temporal's cancellation, stops the stage after its last checkpoint). Free of any tracker or
 * Temporal type so that {@code llm} stays free of both.
 */
public interface StageListener {
  /** Metric values at optimizer step {@code step} (names as in the README: train/loss, …). */
  default void metrics(long step, Map<String, Double> values) {}

  /** Rows of a table (e.g. "generations": prompt, stage, decoding, output) at {@code step}. */
  default void samples(String table, long step, List<Map<String, Object>> rows) {}

  /**
   * Called before a checkpoint of step {@code step} is written: whatever was logged up to it must
   * be durable by the time this returns, because a run resumed from that checkpoint re-logs only
   * the steps after it.
   */
  default void beforeCheckpoint(long step) {}

  /** Called after every optimizer step and after each checkpoint. */
  default void progress(long step, long totalSteps, String lastCheckpoint) {}

  /** Final values for the run's summary (trainable params, resumed_from_step, eval results…). */
  default void summary(Map<String, Object> values) {}

  StageListener NONE = new StageListener() {};
}
