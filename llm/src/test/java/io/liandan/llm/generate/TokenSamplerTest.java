package io.liandan.llm.generate;

import static io.liandan.llm.oracle.LiveOracle.floats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.llm.oracle.LiveOracle;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The sampler's logit processing against transformers' TemperatureLogitsWarper, TopKLogitsWarper
 * and TopPLogitsWarper on the same random rows (numerics_oracle.py sampling), and its draws against
 * those probabilities. Liandan has no repetition penalty, so there is none to compare.
 */
class TokenSamplerTest {
  static final int DRAWS = 10_000;

  @Test
  void temperatureTopKAndTopPGiveTransformersProbabilitiesAndTheDrawsFollowThem() {
    JsonNode ref = LiveOracle.numerics("sampling");
    String replay = LiveOracle.replay("TokenSamplerTest");
    for (JsonNode row : ref.get("rows")) {
      String what =
          replay
              + ": temperature "
              + row.get("temperature")
              + ", top_k "
              + row.get("top_k")
              + ", top_p "
              + row.get("top_p");
      float[] logits = floats(row.get("logits"));
      float[] want = floats(row.get("probs"));
      SamplingConfig cfg =
          new SamplingConfig(
              1,
              true,
              row.get("temperature").asDouble(),
              row.get("top_k").asInt(),
              row.get("top_p").asDouble(),
              17,
              Set.of(),
              0);
      TokenSampler sampler = new TokenSampler(cfg);
      double[] got = sampler.probabilities(logits, 0, logits.length);
      double mass = 0;
      for (double p : got) mass += p;
      for (int i = 0; i < want.length; i++) {
        assertEquals(want[i] == 0, got[i] == 0, what + ": token " + i + " kept by one side only");
        assertEquals(want[i], got[i] / mass, 1e-6, what + ": probability of token " + i);
      }
      // the draws: filtered tokens never, the others at their frequency (6 σ of a binomial)
      int[] count = new int[logits.length];
      for (int d = 0; d < DRAWS; d++) count[sampler.next(logits, 0, logits.length)]++;
      for (int i = 0; i < want.length; i++) {
        double freq = (double) count[i] / DRAWS, p = want[i];
        double bound = 6 * Math.sqrt(p * (1 - p) / DRAWS) + 1e-3;
        if (p == 0) assertEquals(0, count[i], what + ": filtered token " + i + " was drawn");
        else assertTrue(Math.abs(freq - p) <= bound, what + ": token " + i + " drawn " + freq);
      }
    }
  }

  /**
   * Top-p over a primitive sort keeps exactly what a stable sort of token ids by probability keeps
   * (the smallest most-likely set reaching p, the lowest ids among ties at its edge), on rows built
   * with many ties, for several p.
   */
  @Test
  void topPKeepsWhatAStableSortKeeps() {
    java.util.SplittableRandom r = new java.util.SplittableRandom(11);
    for (int row = 0; row < 300; row++) {
      int n = 1 + r.nextInt(40);
      double[] probs = new double[n];
      double sum = 0;
      for (int i = 0; i < n; i++) sum += probs[i] = 1 + r.nextInt(4); // values repeat: ties
      for (int i = 0; i < n; i++) probs[i] /= sum;
      double p = r.nextDouble();
      double[] want = probs.clone(), got = probs.clone();
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) order[i] = i;
      java.util.Arrays.sort(order, (a, b) -> Double.compare(want[b], want[a])); // stable
      double acc = 0;
      int keep = 0;
      while (keep < n && (keep == 0 || acc < p)) acc += want[order[keep++]];
      for (int i = keep; i < n; i++) want[order[i]] = 0;
      TokenSampler.topP(got, p);
      org.junit.jupiter.api.Assertions.assertArrayEquals(want, got, "row " + row + ", p " + p);
    }
  }
}
