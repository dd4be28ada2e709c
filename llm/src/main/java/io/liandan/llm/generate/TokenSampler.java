package io.liandan.llm.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks one token from a row of logits, in Java: a row is V floats once per step, far cheaper than
 * the forward pass, and Java's RNG makes sampling reproducible across devices.
 */
final class TokenSampler {
  private final SamplingConfig cfg;
  private final SplittableRandom rng;

  TokenSampler(SamplingConfig cfg) {
    this.cfg = cfg;
    this.rng = new SplittableRandom(cfg.seed());
  }

  int next(float[] logits, int offset, int vocab) {
    if (!cfg.doSample()) return argmax(logits, offset, vocab);
    double[] s = probabilities(logits, offset, vocab);
    double u = rng.nextDouble(), acc = 0, total = 0;
    for (double p : s) total += p;
    u *= total;
    for (int i = 0; i < vocab; i++) {
      acc += s[i];
      if (u < acc) return i;
    }
    return argmax(logits, offset, vocab);
  }

  /**
   * The distribution a sampled token is drawn from: temperature, then top-k, then top-p (as
   * transformers' TemperatureLogitsWarper, TopKLogitsWarper and TopPLogitsWarper in generate()'s
   * order), 0 for filtered tokens; top-p leaves the kept mass unnormalised (the draw scales by it).
   */
  double[] probabilities(float[] logits, int offset, int vocab) {
    double[] s = new double[vocab];
    for (int i = 0; i < vocab; i++) s[i] = logits[offset + i] / cfg.temperature();
    if (cfg.topK() > 0 && cfg.topK() < vocab) {
      double[] sorted = s.clone();
      Arrays.sort(sorted);
      double kth =
          sorted[vocab - cfg.topK()]; // ties with the k-th value are kept, as in transformers
      for (int i = 0; i < vocab; i++) if (s[i] < kth) s[i] = Double.NEGATIVE_INFINITY;
    }
    double max = Double.NEGATIVE_INFINITY;
    for (double x : s) max = Math.max(max, x);
    double sum = 0;
    for (int i = 0; i < vocab; i++) sum += (s[i] = Math.exp(s[i] - max));
    for (int i = 0; i < vocab; i++) s[i] /= sum; // probabilities
    if (cfg.topP() < 1) topP(s, cfg.topP());
    return s;
  }

  /** Keeps the smallest set of most likely tokens whose mass reaches p (at least one). */
  private static void topP(double[] probs, double p) {
    Integer[] order = new Integer[probs.length];
    for (int i = 0; i < order.length; i++) order[i] = i;
    Arrays.sort(order, (a, b) -> Double.compare(probs[b], probs[a]));
    double acc = 0;
    int keep = 0;
    while (keep < order.length && (keep == 0 || acc < p)) acc += probs[order[keep++]];
    for (int i = keep; i < order.length; i++) probs[order[i]] = 0;
  }

  static int argmax(float[] logits, int offset, int vocab) {
    int best = 0;
    for (int i = 1; i < vocab; i++) if (logits[offset + i] > logits[offset + best]) best = i;
    return best;
  }
}
