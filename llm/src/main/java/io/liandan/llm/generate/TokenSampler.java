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

  /**
   * Keeps the smallest set of most likely tokens whose mass reaches p (at least one); among tokens
   * of equal probability at the edge, the lowest ids (a stable sort's order). Sorts a primitive
   * copy: a boxed index sort took 30 ms a row at a 152K vocabulary, longer than a 0.5B model's
   * decode step spends per row on anything but its weights.
   */
  static void topP(double[] probs, double p) {
    int n = probs.length;
    double[] sorted = probs.clone();
    Arrays.sort(sorted); // ascending: the most likely last
    double acc = 0;
    int keep = 0;
    while (keep < n && (keep == 0 || acc < p)) acc += sorted[n - 1 - keep++];
    double edge = sorted[n - keep]; // the least likely kept probability
    int above = 0;
    for (double x : probs) if (x > edge) above++;
    int ties = keep - above; // kept tokens at the edge
    for (int i = 0; i < n; i++) {
      if (probs[i] > edge) continue;
      if (probs[i] == edge && ties > 0) ties--;
      else probs[i] = 0;
    }
  }

  static int argmax(float[] logits, int offset, int vocab) {
    int best = 0;
    for (int i = 1; i < vocab; i++) if (logits[offset + i] > logits[offset + best]) best = i;
    return best;
  }
}
