package io.liandan.llm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.liandan.llm.Fixtures;
import io.liandan.llm.demo.DemoData;
import io.liandan.llm.kernels.Fusion;
import io.liandan.llm.kernels.Kernels;
import io.liandan.llm.tensor.NoGrad;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A decode step's layers in one kernel call ({@link Kernels#decode}) give the logits of the layer
 * by layer path, step after step over the KV cache, for every family it takes (Qwen2's biases,
 * Qwen3's q/k norms, Llama, Mistral, frozen bf16 weights), and the families it does not take
 * (Gemma's sandwich, Phi-3's fused projections) still decode layer by layer.
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
    "gemma2, float32, false",
    "phi3, float32, false"
  })
  void decodesAsTheLayerByLayerPath(String family, String frozen, boolean oneCall) {
    DecoderConfig c = DemoData.miniConfig(96, 95, family);
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.random(c, 11, m);
        NoGrad ng = new NoGrad()) {
      if (frozen.equals("bfloat16")) w.freezeInBf16();
      Counting kernels = new Counting(Kernels.named("torch"));
      Decoder model = new Decoder(w);
      model.setKernels(kernels);
      List<NDArray> fused = decode(model, m);
      assertEquals(oneCall ? STEPS : 0, kernels.decodes.get(), family + ": steps in one call");
      model.setHook((module, x, y, training) -> y); // a hook keeps every step on the Java path
      List<NDArray> layered = decode(model, m);
      assertEquals(oneCall ? STEPS : 0, kernels.decodes.get(), family + ": no more calls");
      for (int i = 0; i < fused.size(); i++)
        Fixtures.assertMaxAbs(layered.get(i), fused.get(i), 1e-5, family + " step " + i);
    }
  }

  /** Greedy decoding of a fixed prompt: each step's (1, 1, V) logits, prompt's last included. */
  private static List<NDArray> decode(Decoder model, NDManager m) {
    List<NDArray> out = new ArrayList<>();
    try (KvCache cache = new KvCache(model.config().numHiddenLayers(), PROMPT + STEPS);
        Fusion f = Fusion.on()) {
      NDArray ids = m.arange(3, 3 + PROMPT, 1, ai.djl.ndarray.types.DataType.INT64);
      NDArray logits = model.forwardLast(ids.reshape(1, PROMPT), null, null, cache);
      for (int s = 0; s < STEPS; s++) {
        out.add(logits);
        NDArray next = logits.argMax(-1).reshape(new Shape(1, 1)); // (1, 1)
        logits = model.forwardLast(next, null, null, cache);
      }
      out.add(logits);
    }
    return out;
  }

  /** The torch kernels, counting {@link Kernels#decode}'s calls that ran in one call. */
  private static final class Counting implements Kernels {
    final Kernels k;
    final AtomicInteger decodes = new AtomicInteger();

    Counting(Kernels k) {
      this.k = k;
    }

    @Override
    public String name() {
      return k.name();
    }

    @Override
    public NDArray attention(
        NDArray q, NDArray kk, NDArray v, NDArray bias, NDArray scale, NDArray cap) {
      return k.attention(q, kk, v, bias, scale, cap);
    }

    @Override
    public NDArray rmsNorm(NDArray x, NDArray weight, NDArray eps) {
      return k.rmsNorm(x, weight, eps);
    }

    @Override
    public NDArray rope(NDArray x, NDArray cos, NDArray sin) {
      return k.rope(x, cos, sin);
    }

    @Override
    public NDArray swiglu(NDArray gate, NDArray up) {
      return k.swiglu(gate, up);
    }

    @Override
    public boolean unscaleGrads(List<NDArray> grads, double invScale) {
      return k.unscaleGrads(grads, invScale);
    }

    @Override
    public void adamw(
        List<NDArray> params,
        List<NDArray> grads,
        List<NDArray> expAvg,
        List<NDArray> expAvgSq,
        long step,
        double lr,
        double beta1,
        double beta2,
        double eps,
        double weightDecay) {
      k.adamw(params, grads, expAvg, expAvgSq, step, lr, beta1, beta2, eps, weightDecay);
    }

    @Override
    public NDArray decode(DecodeStep step) {
      NDArray y = k.decode(step);
      if (y != null) decodes.incrementAndGet();
      return y;
    }
  }
}
