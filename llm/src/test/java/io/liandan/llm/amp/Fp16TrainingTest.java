package io.liandan.llm.amp;

import static io.liandan.llm.Fixtures.path;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.GradScaler;
import io.liandan.llm.optim.LrSchedule;
import io.liandan.llm.train.CausalLmTrainer;
import io.liandan.llm.train.MicroBatch;
import io.liandan.llm.train.Optimization;
import io.liandan.spec.LoraConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** fp16 mixed precision on the tiny fixture: its loss curve tracks float32's. */
class Fp16TrainingTest {
  static final int STEPS = 30;

  /** A fixed batch of two rows of 12 tokens, learnable in a few steps. */
  static MicroBatch batch() {
    long[] ids = new long[24];
    for (int i = 0; i < ids.length; i++) ids[i] = 5 + (i * 37) % 200;
    return new MicroBatch(2, 12, ids, ids.clone(), null);
  }

  /** Losses of STEPS steps; fp16 = float16 linears + loss scaling; quantize = NF4 + LoRA. */
  static double[] train(boolean fp16, boolean qlora, GradScaler[] scalerOut) {
    Engine.getInstance().setRandomSeed(5);
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path("qwen2-tiny-untied"), m);
        LoraAdapter lora =
            qlora ? LoraAdapter.init(LoraConfig.of(4, 8, 0, List.of("all-linear")), w, 9) : null) {
      Decoder model = new Decoder(w);
      Map<String, NDArray> params = w.tensors();
      if (qlora) {
        w.quantizeLinears(true);
        model.setHook(lora);
        params = lora.parameters();
      }
      if (fp16) model.setComputeType(DataType.FLOAT16);
      AdamW opt = new AdamW(params, AdamW.Hyper.defaults(0), m, AdamW::isNoDecay);
      GradScaler scaler = fp16 ? new GradScaler() : null;
      CausalLmTrainer t =
          new CausalLmTrainer(
                  model,
                  new Optimization(
                      opt, LrSchedule.withWarmupRatio("constant", 0, STEPS), 3e-3, 1.0))
              .withLossScaling(scaler);
      double[] losses = new double[STEPS];
      for (int s = 0; s < STEPS; s++) losses[s] = t.step(List.of(batch())).loss();
      params.values().forEach(p -> assertEquals(DataType.FLOAT32, p.getDataType(), "masters"));
      if (scalerOut != null) scalerOut[0] = scaler;
      return losses;
    }
  }

  static double worstRelative(double[] a, double[] b) {
    double worst = 0;
    for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / a[i]);
    return worst;
  }

  /**
   * Trains {@code what} in float32 and in fp16: float32's loss must fall by more than {@code
   * learns}, and fp16's stay within {@code bound} of it, relative, at every step (but not equal).
   */
  static void assertFp16Tracks(String what, boolean qlora, double learns, double bound) {
    GradScaler[] s = new GradScaler[1];
    double[] f32 = train(false, qlora, null), f16 = train(true, qlora, s);
    double worst = worstRelative(f32, f16);
    System.out.printf(
        "fp16 vs fp32, %s: loss %.4f -> %.4f vs %.4f -> %.4f over %d steps; worst relative gap"
            + " %.2e; loss scale %.0f, %d skipped%n",
        what,
        f32[0],
        f32[STEPS - 1],
        f16[0],
        f16[STEPS - 1],
        STEPS,
        worst,
        s[0].scale(),
        s[0].skippedSteps());
    assertTrue(f32[STEPS - 1] < f32[0] - learns, what + " learns in float32");
    assertTrue(worst < bound, "fp16 within " + 100 * bound + " % of fp32 at every step: " + worst);
    assertTrue(worst > 0, "the fp16 run did compute in float16");
  }

  @Test
  void fullFineTuningInFp16TracksFloat32() {
    // the README's figure, 0.17 % (measured 1.69e-3), with its last digit as the margin
    assertFp16Tracks("full", false, 1, 0.002);
  }

  @Test
  void qloraInFp16TracksQloraInFloat32() {
    // the README's figure, 0.018 % (measured 1.82e-4), with its last digit as the margin
    assertFp16Tracks("Q-LoRA (NF4 dequantized to float16)", true, 0.5, 2e-4);
  }
}
