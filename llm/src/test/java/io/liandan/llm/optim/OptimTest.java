package io.liandan.llm.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Schedules against transformers' formulas, clipping against torch's clip_grad_norm_. */
class OptimTest {

  @Test
  void linearAndCosineWithWarmupFollowTransformers() {
    LrSchedule lin = LrSchedule.withWarmupRatio("linear", 0.1, 100); // ceil(10) warmup steps
    assertEquals(10, lin.warmupSteps());
    assertEquals(0.0, lin.factor(0));
    assertEquals(0.5, lin.factor(5), 1e-12);
    assertEquals(1.0, lin.factor(10), 1e-12);
    assertEquals(0.5, lin.factor(55), 1e-12);
    assertEquals(0.0, lin.factor(100), 1e-12);
    LrSchedule cos = new LrSchedule("cosine", 10, 110);
    assertEquals(1.0, cos.factor(10), 1e-12);
    assertEquals(0.5, cos.factor(60), 1e-12);
    assertEquals(0.0, cos.factor(110), 1e-12);
    assertEquals(
        Math.ceil(0.03 * 333), LrSchedule.withWarmupRatio("cosine", 0.03, 333).warmupSteps());
    assertThrows(IllegalArgumentException.class, () -> new LrSchedule("polynomialish", 0, 10));
  }

  @Test
  void clippingScalesToMaxNormAndReportsTheNormBefore() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.create(new float[] {1, 2}), b = m.create(new float[] {2});
      a.setRequiresGradient(true);
      b.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        // d/da = (3, 6), d/db = 6·2 = 12 → norm sqrt(9+36+144) = sqrt(189)
        gc.backward(a.mul(m.create(new float[] {3, 6})).sum().add(b.square().mul(3f).sum()));
      }
      double norm = GradClip.clipGlobalNorm(java.util.List.of(a, b), 1.0);
      assertEquals(Math.sqrt(189), norm, 1e-4);
      double after =
          Math.sqrt(
              a.getGradient().square().sum().getFloat()
                  + b.getGradient().square().sum().getFloat());
      assertEquals(1.0, after, 1e-5);
    }
  }

  @Test
  void adamWDecaysOnlyWhatItShould() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray w = m.create(new float[] {1f}), bias = m.create(new float[] {1f});
      AdamW opt =
          new AdamW(
              Map.of("x.weight", w, "x.bias", bias),
              AdamW.Hyper.defaults(0.1),
              m,
              AdamW::isNoDecay);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(w.mul(0f).add(bias.mul(0f)).sum()); // zero gradients: only decay moves weights
      }
      opt.step(0.5);
      assertEquals(1 - 0.5 * 0.1, w.getFloat(), 1e-7);
      assertEquals(1f, bias.getFloat(), 1e-7);
    }
  }
}
