package io.liandan.llm.optim;

import io.liandan.spec.TrainingArgs;
import java.util.List;

/**
 * Learning-rate schedules as transformers' {@code get_scheduler} defines them (linear, cosine,
 * constant, constant_with_warmup), warmup given in steps or as a ratio of the total.
 */
public record LrSchedule(String type, long warmupSteps, long totalSteps) {
  public static final List<String> TYPES = TrainingArgs.LR_SCHEDULER_TYPES;

  public LrSchedule {
    if (!TYPES.contains(type)) {
      throw new IllegalArgumentException("lr_scheduler_type '" + type + "' is not one of " + TYPES);
    }
    if (totalSteps <= 0) throw new IllegalArgumentException("total steps must be positive");
    if (warmupSteps < 0) throw new IllegalArgumentException("warmup steps must be >= 0");
  }

  /** Warmup as TrainingArguments.warmup_ratio: ceil(ratio · total). */
  public static LrSchedule withWarmupRatio(String type, double ratio, long totalSteps) {
    if (!(ratio >= 0 && ratio <= 1)) {
      throw new IllegalArgumentException("warmup_ratio must be in [0, 1], got " + ratio);
    }
    return new LrSchedule(type, (long) Math.ceil(ratio * totalSteps), totalSteps);
  }

  /** The multiplier on the base rate before optimizer step {@code step} (0-based). */
  public double factor(long step) {
    if (type.equals("constant")) return 1;
    if (step < warmupSteps) return (double) step / Math.max(1, warmupSteps);
    if (type.equals("constant_with_warmup")) return 1;
    double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    if (type.equals("linear")) return Math.max(0, 1 - progress);
    return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress))); // cosine, half a cycle
  }

  public double lr(double base, long step) {
    return base * factor(step);
  }
}
