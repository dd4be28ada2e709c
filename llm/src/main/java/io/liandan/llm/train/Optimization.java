package io.liandan.llm.train;

import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.GradScaler;
import io.liandan.llm.optim.LrSchedule;

/**
 * How every trainer updates its parameters, as TrainingArguments names it: AdamW, the lr schedule
 * over {@code baseLr} (learning_rate), clipping to {@code maxGradNorm} (max_grad_norm) and the seed
 * that reseeds dropout per step (seed).
 */
public record Optimization(
    AdamW optimizer, LrSchedule schedule, double baseLr, double maxGradNorm, long seed) {
  /** transformers' default seed. */
  public Optimization(AdamW optimizer, LrSchedule schedule, double baseLr, double maxGradNorm) {
    this(optimizer, schedule, baseLr, maxGradNorm, 42);
  }

  /** The optimizer steps taken so far: the step about to run. */
  public long step() {
    return optimizer.stepCount();
  }

  /**
   * For a trainer that only scores (held-out metrics, or a backward without a step): no optimizer,
   * only the seed its dropout draws from.
   */
  public static Optimization scoringOnly(long seed) {
    return new Optimization(null, null, 0, 0, seed);
  }

  /** The schedule's lr for the step about to run. */
  public double lr() {
    return schedule.lr(baseLr, step());
  }

  /**
   * Clips and steps (through {@code scaler} in fp16: NaN = overflow, step skipped); returns the
   * gradient norm before clipping.
   */
  public double apply(GradScaler scaler, double lr) {
    return GradScaler.optimizerStep(scaler, optimizer, maxGradNorm, lr);
  }
}
