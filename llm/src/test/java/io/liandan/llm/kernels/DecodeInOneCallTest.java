package io.liandan.llm.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.liandan.llm.Fixtures;
import io.liandan.llm.demo.DemoData;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderConfig;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.model.KvCache;
import io.liandan.llm.tensor.NoGrad;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A decode step's layers in one kernel call ({@link Kernels#decode}) give the logits of the layer
 * by layer path, step after step over the KV cache with a left-padded row, for every family it
 * takes (Qwen2's biases, Qwen3's q/k norms, Llama, Mistral, frozen bf16 weights), and the families
 * it does not take (Gemma's sandwich, Phi-3's fused projections, NF4 weights) still decode layer by
 * layer.
 */
class DecodeInOneCallTest {
  private static final int PROMPT = 6, STEPS = 8;

  @ParameterizedTest
  @CsvSource({
    "qwen2, float32, true",
    "qwen2, bfloat16, true",
    "qwen3, float32, true",
    "llama, float32, true",
    "mistral, float32, true",
    "qwen2, nf4, false",
    "gemma2, float32, false",
    "phi3, float32, false"
  })
  void decodesAsTheLayerByLayerPath(String family, String frozen, boolean oneCall) {
    DecoderConfig c = DemoData.miniConfig(96, 95, family);
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.random(c, 11, m);
        NoGrad ng = new NoGrad()) {
      if (frozen.equals("bfloat16")) w.freezeInBf16();
      if (frozen.equals("nf4")) w.quantizeLinears(true);
      Decoder model = new Decoder(w);
      model.setKernels(Kernels.named("torch"));
      long before = TorchKernels.decodeCalls();
      List<NDArray> fused = decode(model, m);
      long calls = TorchKernels.decodeCalls() - before;
      assertEquals(oneCall ? STEPS : 0, calls, family + ": steps in one call");
      model.setHook((module, x, y, training) -> y); // a hook keeps every step on the Java path
      List<NDArray> layered = decode(model, m);
      assertEquals(calls, TorchKernels.decodeCalls() - before, family + ": no more calls");
      for (int i = 0; i < fused.size(); i++)
        Fixtures.assertMaxAbs(layered.get(i), fused.get(i), 1e-5, family + " step " + i);
    }
  }

  /**
   * Greedy decoding of two prompts, the first left-padded by 2 as the generator pads (positions
   * count real tokens only): each step's (2, 1, V) logits, the prompts' last included.
   */
  private static List<NDArray> decode(Decoder model, NDManager m) {
    List<NDArray> out = new ArrayList<>();
    int pad = 2;
    long[] mask = new long[2 * PROMPT], pos = new long[2 * PROMPT], next = {PROMPT - pad, PROMPT};
    for (int t = 0; t < PROMPT; t++) {
      mask[t] = t < pad ? 0 : 1;
      pos[t] = Math.max(0, t - pad);
      mask[PROMPT + t] = 1;
      pos[PROMPT + t] = t;
    }
    try (KvCache cache = new KvCache(model.config().numHiddenLayers(), PROMPT + STEPS);
        Fusion f = Fusion.on()) {
      NDArray ids = m.arange(3, 3 + 2 * PROMPT, 1, DataType.INT64).reshape(2, PROMPT);
      NDArray mk = m.create(mask, new Shape(2, PROMPT));
      NDArray logits = model.forwardLast(ids, mk, m.create(pos, new Shape(2, PROMPT)), cache);
      for (int s = 0; s < STEPS; s++) {
        out.add(logits);
        NDArray token = logits.argMax(-1).reshape(new Shape(2, 1)); // (2, 1)
        mk = mk.concat(m.ones(new Shape(2, 1), DataType.INT64), 1);
        NDArray at = m.create(new long[] {next[0]++, next[1]++}, new Shape(2, 1));
        logits = model.forwardLast(token, mk, at, cache);
      }
      out.add(logits);
    }
    return out;
  }
}
