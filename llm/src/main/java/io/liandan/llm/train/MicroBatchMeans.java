package io.liandan.llm.train;

import ai.djl.ndarray.NDScope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What DPO's and KTO's backward do around each micro-batch: the step's dropout seeded, each
 * micro-batch run in its own scope, and its metrics averaged over the step's micro-batches.
 */
final class MicroBatchMeans {
  private MicroBatchMeans() {}

  /** Forward and backward of micro-batch {@code k} of {@code n}; returns its metrics. */
  @FunctionalInterface
  interface Backward<B> {
    Map<String, Double> run(B batch, int k, int n);
  }

  /** The means over {@code micro} of what {@code backward} returns for each. */
  static <B> Map<String, Double> of(long seed, long step, List<B> micro, Backward<B> backward) {
    StepSeed.apply(seed, step);
    Map<String, Double> sums = new LinkedHashMap<>();
    int n = micro.size();
    for (int k = 0; k < n; k++) {
      Map<String, Double> v;
      try (NDScope scope = new NDScope()) {
        v = backward.run(micro.get(k), k, n);
      }
      v.forEach((key, x) -> sums.merge(key, x / n, Double::sum));
    }
    return sums;
  }
}
