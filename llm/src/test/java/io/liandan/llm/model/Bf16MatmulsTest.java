package io.liandan.llm.model;

import static io.liandan.llm.Fixtures.path;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.LrSchedule;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.train.CausalLmLoss;
import io.liandan.llm.train.CausalLmTrainer;
import io.liandan.llm.train.MicroBatch;
import io.liandan.llm.train.Optimization;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * bf16 mixed precision ({@code bf16: true}): full fine-tuning with the decoder's linear layers
 * multiplied in bf16 over float32 master weights. Gradients reach every weight in float32 and stay
 * within bf16's rounding of the float32 model's, and training follows the float32 run's losses.
 */
class Bf16MatmulsTest {
  static final String FIXTURE = "qwen2-tiny-untied";

  @Test
  void fullFineTuningInBf16FollowsFloat32() {
    long[] ids = new long[24];
    for (int i = 0; i < ids.length; i++) ids[i] = 5 + (i * 37) % 200;
    MicroBatch batch = new MicroBatch(2, 12, ids, ids.clone(), null);
    Map<String, float[]> grads32 = new HashMap<>();
    double[] losses = new double[2];
    for (boolean bf16 : new boolean[] {false, true}) {
      Engine.getInstance().setRandomSeed(5);
      try (NDManager m = NDManager.newBaseManager();
          DecoderWeights w = DecoderWeights.load(path(FIXTURE), m);
          AdamW opt = new AdamW(w.tensors(), AdamW.Hyper.defaults(0), m, AdamW::isNoDecay)) {
        Decoder model = new Decoder(w);
        model.setBf16Matmuls(bf16);
        double worst = 0, least = Double.MAX_VALUE;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray x = m.create(ids, new Shape(2, 12));
          gc.backward(CausalLmLoss.mean(model.forward(x, null, true), x));
          for (var e : w.tensors().entrySet()) {
            NDArray g = e.getValue().getGradient();
            assertEquals(DataType.FLOAT32, g.getDataType(), e.getKey() + "'s gradient");
            float[] v = g.toFloatArray();
            if (!bf16) grads32.put(e.getKey(), v);
            else if (e.getKey().endsWith("proj.weight")) {
              double d = FrozenBf16Test.relDiff(grads32.get(e.getKey()), v);
              worst = Math.max(worst, d);
              least = Math.min(least, d);
            }
          }
        }
        if (bf16) {
          System.out.printf(
              "bf16 matmuls: linear weights' gradients %.2e to %.2e from float32's%n",
              least, worst);
          assertTrue(worst < 0.05, "gradients within bf16 rounding: " + worst);
          assertTrue(least > 1e-5, "the linears did multiply in bf16: " + least);
        }
        opt.zeroGrad();
        CausalLmTrainer t =
            new CausalLmTrainer(
                model,
                new Optimization(opt, LrSchedule.withWarmupRatio("constant", 0, 8), 1e-3, 1));
        double first = t.step(List.of(batch)).loss();
        for (int s = 1; s < 8; s++) t.step(List.of(batch));
        try (NoGrad ng = new NoGrad()) {
          NDArray x = m.create(ids, new Shape(2, 12));
          losses[bf16 ? 1 : 0] = CausalLmLoss.mean(model.forward(x, null, false), x).getFloat();
        }
        System.out.printf(
            "full fine-tuning, %s matmuls: loss %.4f -> %.4f%n",
            bf16 ? "bf16" : "float32", first, losses[bf16 ? 1 : 0]);
        assertTrue(losses[bf16 ? 1 : 0] < first * 0.9, "learned");
      }
    }
    assertEquals(losses[0], losses[1], 0.02 * losses[0], "bf16 trains as float32 does");
  }

  @Test
  void bf16MatmulsExcludeFloat16Compute() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path(FIXTURE), m)) {
      Decoder model = new Decoder(w);
      model.setComputeType(DataType.FLOAT16);
      assertThrows(IllegalArgumentException.class, () -> model.setBf16Matmuls(true));
    }
  }
}
