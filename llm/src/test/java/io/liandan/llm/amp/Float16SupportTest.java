package io.liandan.llm.amp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import io.liandan.llm.tensor.Scalars;
import org.junit.jupiter.api.Test;

/**
 * What the fp16 path relies on, checked on this engine build before anything is built on it:
 * float16 matmul/linear on CPU, DJL's toType cutting the graph (why {@link Cast} exists), and
 * Cast's float32 → float16 → float32 round trip carrying the gradient to the float32 master.
 */
class Float16SupportTest {

  @Test
  void float16LinearRunsOnCpuAndMatchesFloat32() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.randomNormal(new Shape(4, 64)), w = m.randomNormal(new Shape(32, 64));
      NDArray y32 = Linear.linear(x, w).singletonOrThrow();
      NDArray y16 =
          Linear.linear(x.toType(DataType.FLOAT16, false), w.toType(DataType.FLOAT16, false))
              .singletonOrThrow();
      assertEquals(DataType.FLOAT16, y16.getDataType());
      double diff = y32.sub(y16.toType(DataType.FLOAT32, false)).abs().max().getFloat();
      double scale = y32.abs().max().getFloat();
      assertTrue(diff / scale < 2e-3, "fp16 linear relative error " + diff / scale);
    }
  }

  @Test
  void djlToTypeIsNotDifferentiable() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray w = m.randomNormal(new Shape(3));
      w.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray y = w.toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false).sum();
        assertThrows(ai.djl.engine.EngineException.class, () -> gc.backward(y));
      }
    }
  }

  @Test
  void castToFloat16IsDifferentiableAndGradLandsOnFloat32Master() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray w = m.randomNormal(new Shape(8, 16));
      NDArray x = m.randomNormal(new Shape(2, 16));
      w.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray y =
            Cast.to(
                Linear.linear(Cast.to(x, DataType.FLOAT16), Cast.to(w, DataType.FLOAT16))
                    .singletonOrThrow(),
                DataType.FLOAT32);
        gc.backward(y.sum().mul(Scalars.of(m, 2)));
      }
      NDArray g = w.getGradient();
      assertEquals(DataType.FLOAT32, g.getDataType());
      // d(2·sum(x·wᵀ))/dw[o, i] = 2·sum_b x[b, i], the same for every row o
      NDArray expected = x.sum(new int[] {0}).mul(2f).expandDims(0).repeat(0, 8);
      double diff = expected.sub(g).abs().max().getFloat();
      assertTrue(diff < 2e-2, "fp16 grad vs exact " + diff);
    }
  }
}
