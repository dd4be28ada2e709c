package io.liandan.llm.train;

import static io.liandan.llm.Fixtures.path;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.LrSchedule;
import io.liandan.spec.LoraConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A garbage collection between forward and backward must not change a training step. It did: DJL
 * scalars from Java numbers borrow direct buffers that a collection frees while autograd still
 * reads them (see Scalars), which made gradients wrong or NaN with a correct loss, at random.
 */
class GcDuringBackwardTest {
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aCollectionMidStepChangesNothing(boolean lora) {
    assertArrayEquals(step(lora, false), step(lora, true));
  }

  /** One causal-LM and one DPO step; returns the updated trainable tensors, flattened. */
  static float[] step(boolean lora, boolean collectMidForward) {
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path("qwen2-tiny-untied"), m)) {
      Decoder model = new Decoder(w);
      LoraAdapter adapter =
          lora
              ? LoraAdapter.init(LoraConfig.of(4, 8, 0.0, List.of("q_proj", "v_proj")), w, 3)
              : null;
      Map<String, NDArray> params = lora ? adapter.parameters() : w.tensors();
      // the hook runs inside the forward pass, after earlier layers recorded their ops
      model.setHook(
          (module, x, y, training) -> {
            if (collectMidForward && module.equals("model.layers.1.self_attn.v_proj")) collect();
            return adapter == null ? y : adapter.apply(module, x, y, training);
          });
      AdamW opt = new AdamW(params, AdamW.Hyper.defaults(0.01), m, AdamW::isNoDecay);
      LrSchedule s = new LrSchedule("constant", 0, 10);
      new CausalLmTrainer(model, new Optimization(opt, s, 1e-3, 1.0, 1))
          .step(
              List.of(
                  CausalLmTrainerTest.batch(
                      CausalLmTrainerTest.row(1), CausalLmTrainerTest.row(2))));
      int[][] pair = {{5, 6, 7}, {8, 9, 10, 11}, {12, 13}};
      new DpoTrainer(
              model,
              (ids, mask) -> model.forward(ids, mask, false),
              new Optimization(opt, s, 1e-3, 1.0, 1),
              0.1)
          .step(List.of(PreferenceBatch.of(List.of(pair, pair), 0)));
      List<Float> out = new ArrayList<>();
      for (NDArray p : params.values()) for (float f : p.toFloatArray()) out.add(f);
      float[] r = new float[out.size()];
      for (int i = 0; i < r.length; i++) r[i] = out.get(i);
      return r;
    }
  }

  private static void collect() {
    System.gc();
    try {
      Thread.sleep(30); // the Cleaner frees direct buffers on its own thread
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
