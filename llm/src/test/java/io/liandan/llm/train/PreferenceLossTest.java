package io.liandan.llm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/**
 * ORPO's log(1 − e^x) on both sides of TRL's −ln 2 branch, against Java's exact log(−expm1(x)), and
 * its gradient −e^x/(1 − e^x): the oracle's draws sit far below the branch (average log-probs near
 * −6), so the near-zero side is checked here.
 */
class PreferenceLossTest {
  @Test
  void log1mexpIsExactOnBothSidesAndDifferentiable() {
    double[] xs = {-20, -6.2, -0.7, -0.6931, -0.5, -0.1, -1e-3, -1e-6};
    try (NDManager m = NDManager.newBaseManager()) {
      float[] f = new float[xs.length];
      for (int i = 0; i < xs.length; i++) f[i] = (float) xs[i];
      NDArray x = m.create(f);
      x.setRequiresGradient(true);
      NDArray y;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        y = PreferenceLoss.log1mexp(x);
        gc.backward(y.sum());
      }
      float[] got = y.toFloatArray(), grad = x.getGradient().toFloatArray();
      for (int i = 0; i < xs.length; i++) {
        double xi = f[i]; // the float32 input, exactly
        double exact = Math.log(-Math.expm1(xi));
        assertEquals(exact, got[i], 2e-6 * Math.max(1, Math.abs(exact)), "log1mexp(" + xi + ")");
        double dExact = -Math.exp(xi) / -Math.expm1(xi);
        assertEquals(dExact, grad[i], 1e-5 * Math.max(1, Math.abs(dExact)), "gradient at " + xi);
        assertTrue(Float.isFinite(grad[i]), "no NaN from the unused branch at " + xi);
      }
    }
  }
}
