package io.liandan.llm.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderConfig;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.tensor.NoGrad;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Phi-3 with longrope: once the sequence passes original_max_position_embeddings, every key must
 * rotate with the long factors, as an uncached forward over the whole sequence rotates them (what
 * Phi3ForCausalLM's prepare_inputs_for_generation means to do by dropping the cache). The generator
 * recomputes the cache at that step; keeping the keys cached under the short factors gives other
 * ids here (checked by turning the recompute off). The oracle tier's phi3 case compares the same
 * against transformers' uncached generate().
 */
class LongropeGenerationTest {
  static final String CONFIG =
      """
      {"model_type":"phi3","vocab_size":64,"hidden_size":32,"intermediate_size":48,
       "num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,
       "max_position_embeddings":64,"original_max_position_embeddings":8,
       "initializer_range":0.3,"rope_theta":10000.0,"partial_rotary_factor":0.5,
       "rope_scaling":{"type":"longrope","short_factor":[1.0,1.0],"long_factor":[40.0,3.0]}}""";

  @Test
  void keysAreRecomputedWithTheLongFactorsOncePastTheOriginalLength(@TempDir Path dir)
      throws Exception {
    Files.writeString(dir.resolve("config.json"), CONFIG);
    DecoderConfig c = DecoderConfig.load(dir);
    assertEquals(8, c.generationCacheRestart());
    long[] prompt = {5, 17, 33, 2, 48};
    int steps = 14; // crosses 8 at the fourth new token, ten more after it
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.random(c, 11, m)) {
      Decoder model = new Decoder(w);
      long[] generated =
          new Generator(model).generate(List.of(prompt), SamplingConfig.greedy(steps)).get(0);
      assertArrayEquals(uncachedGreedy(model, prompt, steps), generated);
    }
  }

  /** Greedy ids from a full forward over the whole sequence at every step (no cache). */
  private static long[] uncachedGreedy(Decoder model, long[] prompt, int steps) {
    long[] seq = prompt.clone();
    try (NoGrad ng = new NoGrad()) {
      for (int s = 0; s < steps; s++) {
        try (NDManager step = model.manager().newSubManager()) {
          NDArray logits = model.forward(step.create(seq, new Shape(1, seq.length)), null, false);
          long next = logits.get(":, -1, :").argMax(-1).toLongArray()[0];
          seq = Arrays.copyOf(seq, seq.length + 1);
          seq[seq.length - 1] = next;
        }
      }
    }
    return seq;
  }
}
