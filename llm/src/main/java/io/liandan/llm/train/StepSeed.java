package io.liandan.llm.train;

import ai.djl.engine.Engine;

/**
 * Makes a training step's randomness (dropout draws from torch's RNG) a function of (seed, step).
 * DJL cannot save torch's RNG state, so this is what lets a resumed run draw exactly what an
 * uninterrupted one would.
 */
final class StepSeed {
  private StepSeed() {}

  static void apply(long seed, long step) {
    Engine.getInstance().setRandomSeed((int) (seed * 1_000_003L + step));
  }

  /**
   * The dropout seed of micro-batch (or sequence batch) {@code index} of a step, for code that
   * reseeds inside the step ({@link LayerCheckpoints} reseeds per layer, to replay its masks).
   */
  static long microBatch(long seed, long step, long index) {
    return (seed * 1_000_003L + step) * 1_009L + index;
  }
}
