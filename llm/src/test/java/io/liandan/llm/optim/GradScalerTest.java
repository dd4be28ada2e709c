package io.liandan.llm.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.liandan.llm.tensor.Scalars;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** torch.cuda.amp.GradScaler's rules: skip and back off on inf/NaN, grow after N clean steps. */
class GradScalerTest {

  /** One backward of scale · sum(p · x) (so p's gradient is scale · x), then the scaler's step. */
  static double step(NDManager m, AdamW opt, NDArray p, GradScaler s, float... x) {
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      gc.backward(p.mul(m.create(x)).sum().mul(s.scaleTensor(m)));
    }
    return s.step(opt, 0, 0.1);
  }

  @Test
  void anInfiniteGradientSkipsTheStepAndHalvesTheScale() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray p = m.create(new float[] {1, 2});
      AdamW opt = new AdamW(Map.of("p", p), AdamW.Hyper.defaults(0), m, n -> true);
      GradScaler s = new GradScaler();
      assertEquals(65536, s.scale());

      double norm = step(m, opt, p, s, Float.POSITIVE_INFINITY, 1);
      assertTrue(Double.isNaN(norm), "no norm for a skipped step");
      assertArrayEquals(new float[] {1, 2}, p.toFloatArray(), "weights untouched");
      assertEquals(32768, s.scale());
      assertEquals(1, s.skippedSteps());
      assertEquals(1, opt.stepCount(), "the global step still moves on");
      assertFalse(p.getGradient().isInfinite().any().getBoolean(), "gradients zeroed");

      step(m, opt, p, s, Float.NaN, 1);
      assertEquals(16384, s.scale(), "NaN backs off too");

      norm = step(m, opt, p, s, 3, 4);
      assertEquals(5, norm, 1e-3, "the norm of the unscaled gradient (3, 4)");
      assertTrue(p.toFloatArray()[0] < 1, "a clean step updates");
      assertEquals(16384, s.scale());
    }
  }

  @Test
  void theScaleGrowsAfterGrowthIntervalCleanStepsInARow() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray p = m.create(new float[] {1});
      AdamW opt = new AdamW(Map.of("p", p), AdamW.Hyper.defaults(0), m, n -> true);
      GradScaler s = new GradScaler(8, 2, 0.5, 3);
      step(m, opt, p, s, 1);
      step(m, opt, p, s, 1);
      assertEquals(8, s.scale());
      step(m, opt, p, s, 1);
      assertEquals(16, s.scale(), "third clean step in a row");
      step(m, opt, p, s, 1);
      step(m, opt, p, s, Float.POSITIVE_INFINITY);
      assertEquals(8, s.scale());
      step(m, opt, p, s, 1);
      step(m, opt, p, s, 1);
      assertEquals(8, s.scale(), "the overflow restarted the count");
      step(m, opt, p, s, 1);
      assertEquals(16, s.scale());
      assertEquals(1, s.skippedSteps());
      assertEquals(Scalars.of(m, 16).getFloat(), s.scaleTensor(m).getFloat());

      // a checkpoint's carry brings back scale, streak and skip count
      step(m, opt, p, s, 1);
      GradScaler resumed = new GradScaler(8, 2, 0.5, 3);
      resumed.restore(s.state());
      assertEquals(s.state(), resumed.state());
      step(m, opt, p, resumed, 1);
      assertEquals(16, resumed.scale(), "two clean steps so far: the streak survived");
      step(m, opt, p, resumed, 1);
      assertEquals(32, resumed.scale());
      assertEquals(1, resumed.skippedSteps());
    }
  }
}
