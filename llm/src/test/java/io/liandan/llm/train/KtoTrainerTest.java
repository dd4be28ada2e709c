package io.liandan.llm.train;

import static io.liandan.llm.Fixtures.path;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.optim.GradScaler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * KTO's trainer beyond TRL's numbers (OracleKtoTest): fp16 loss scaling and gradient checkpointing
 * (LayerCheckpointsTest) on the DPO fixture's pairs, unpaired.
 */
class KtoTrainerTest {
  static final int STEPS = 8;

  /** The DPO fixture's three pairs as six examples: each chosen completion desirable, each not. */
  static KtoBatch fixtureExamples(NDManager m) {
    List<int[][]> rows = new ArrayList<>();
    for (int[][] pcr : DpoTrainerTest.fixtureRows(m)) {
      rows.add(new int[][] {pcr[0], pcr[1]});
      rows.add(new int[][] {pcr[0], pcr[2]});
    }
    return KtoBatch.of(rows, new boolean[] {true, false, true, false, true, false}, 0);
  }

  /** The fixture's LoRA policy against itself with the adapter off; AdamW at a constant 2e-3. */
  static KtoTrainer loraTrainer(
      Decoder model, LoraAdapter lora, NDManager m, GradScaler scaler, boolean checkpointing) {
    return new KtoTrainer(
        model,
        DpoTrainerTest.adapterOff(model, lora),
        DpoTrainerTest.loraOptimization(lora, m, STEPS),
        new KtoLoss.Weights(0.1, 1, 1),
        scaler,
        checkpointing);
  }

  /** Losses, one adapter weight after STEPS steps, and the gradient norms before clipping. */
  static float[][] train(boolean fp16, boolean checkpointing, GradScaler[] scalerOut) {
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path(LayerCheckpointsTest.BASE), m);
        LoraAdapter lora = LoraAdapter.load(path(LayerCheckpointsTest.BASE + "/lora"), w)) {
      Decoder model = new Decoder(w);
      model.setHook(lora);
      if (fp16) model.setComputeType(DataType.FLOAT16);
      GradScaler scaler = fp16 ? new GradScaler() : null;
      KtoTrainer t = loraTrainer(model, lora, m, scaler, checkpointing);
      KtoBatch batch = fixtureExamples(m);
      float[] losses = new float[STEPS], norms = new float[STEPS];
      for (int s = 0; s < STEPS; s++) {
        Map<String, Double> r = t.step(List.of(batch));
        losses[s] = r.get("train/loss").floatValue();
        norms[s] = r.get("train/grad_norm").floatValue();
      }
      lora.parameters()
          .values()
          .forEach(p -> assertEquals(DataType.FLOAT32, p.getDataType(), "masters"));
      if (scalerOut != null) scalerOut[0] = scaler;
      NDArray b = lora.parameters().get("model.layers.1.self_attn.v_proj.lora_B.weight");
      return new float[][] {losses, b.toFloatArray(), norms};
    }
  }

  /** fp16 (float16 linears, loss scaling) tracks float32 at every step, and KTO learns in both. */
  @Test
  void fp16TracksFloat32() {
    GradScaler[] s = new GradScaler[1];
    float[] f32 = train(false, false, null)[0], f16 = train(true, false, s)[0];
    double worst = 0;
    for (int i = 0; i < STEPS; i++) worst = Math.max(worst, Math.abs(f16[i] - f32[i]) / f32[i]);
    System.out.println(
        "KTO losses, float32: " + Arrays.toString(f32) + ", fp16: " + Arrays.toString(f16));
    System.out.println("worst relative gap " + worst + ", loss scale " + s[0].scale());
    assertTrue(f32[STEPS - 1] < f32[0] - 0.01, "KTO's loss falls in float32");
    assertTrue(f16[STEPS - 1] < f16[0] - 0.01, "and in fp16");
    // measured 7.7e-6 (the fixture's values are small enough that float16 rounds little)
    assertTrue(worst < 1e-4, "fp16 within 0.01 % of float32 at every step: " + worst);
    assertTrue(worst > 0, "the fp16 run did compute in float16");
    assertEquals(0, s[0].skippedSteps(), "no overflow at the initial scale on this data");
  }
}
