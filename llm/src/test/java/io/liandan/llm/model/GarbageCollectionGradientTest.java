package io.liandan.llm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.liandan.llm.demo.DemoData;
import io.liandan.llm.train.CausalLmLoss;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A garbage collection between forward and backward must not change a gradient. DJL turns a Java
 * number in an op (x.pow(3), x.mul(0.5f)) into a tensor over a direct buffer it does not own; when
 * the collector frees that buffer, autograd's saved copy reads garbage in backward. GELU-tanh's
 * cube was such an op: Gemma runs that followed another run in the same JVM (as a worker runs
 * stages) went NaN a few steps in.
 */
class GarbageCollectionGradientTest {

  @ParameterizedTest
  @ValueSource(strings = {"qwen2", "gemma2", "gemma3_text", "qwen3", "llama", "mistral", "phi3"})
  void gradientsAreTheSameWithACollectionBeforeBackward(String family) {
    DecoderConfig c = DemoData.miniConfig(96, 95, family);
    float[] quiet = gradient(c, false), collected = gradient(c, true);
    assertArrayEquals(quiet, collected, 0f, family + ": embedding gradient after a GC");
  }

  private static float[] gradient(DecoderConfig c, boolean collect) {
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.random(c, 3, m)) {
      NDArray emb = w.get("model.embed_tokens.weight");
      emb.setRequiresGradient(true);
      NDArray ids = m.arange(0, 40, 1, ai.djl.ndarray.types.DataType.INT64).reshape(2, 20);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray loss = CausalLmLoss.mean(new Decoder(w).forward(ids, null, true), ids);
        if (collect) {
          for (int i = 0; i < 3; i++) {
            byte[][] garbage = new byte[64][];
            for (int j = 0; j < garbage.length; j++) garbage[j] = new byte[1 << 16];
            System.gc();
          }
        }
        gc.backward(loss);
      }
      return emb.getGradient().toFloatArray();
    }
  }
}
