package io.liandan.bench;

import static io.liandan.bench.BenchArgs.intArg;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.GradClip;
import io.liandan.llm.stage.Devices;
import io.liandan.llm.tensor.NoGrad;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The per-step cost of clipping + AdamW over many small tensors — what a LoRA step's optimizer does
 * (Qwen2.5-0.5B, r 8 on q/v: 96 tensors of 7–14 k values), where launching ops, not arithmetic, is
 * the cost. {@code java -cp … io.liandan.bench.OptimizerBench [device] [steps]}.
 */
public final class OptimizerBench {
  public static void main(String[] args) {
    if (System.getenv("DJL_OFFLINE") == null) System.setProperty("ai.djl.offline", "true");
    Device device = Devices.resolve(args.length > 0 ? args[0] : "cpu");
    int steps = intArg(args, 1, 300);
    try (NDManager m = NDManager.newBaseManager(device)) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      for (int l = 0; l < 24; l++) {
        for (String p : new String[] {"q_proj", "v_proj"}) {
          int out = p.equals("q_proj") ? 896 : 128;
          params.put(l + p + ".A", m.randomNormal(new Shape(8, 896)));
          params.put(l + p + ".B", m.randomNormal(new Shape(out, 8)));
        }
      }
      AdamW opt = new AdamW(params, AdamW.Hyper.defaults(0.01), m, n -> false);
      for (int round = 0; round < 3; round++) {
        long spent = 0;
        for (int s = 0; s < steps; s++) {
          try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = null;
            for (NDArray p : params.values()) {
              NDArray sq = p.square().sum();
              loss = loss == null ? sq : loss.add(sq);
            }
            gc.backward(loss);
          }
          long t0 = System.nanoTime();
          GradClip.clipGlobalNorm(params.values(), 1.0);
          opt.step(1e-4);
          try (NoGrad ng = new NoGrad()) {
            params.values().iterator().next().getFloat(0, 0); // waits for the device
          }
          spent += System.nanoTime() - t0;
        }
        System.out.printf(
            "%s: clip + AdamW over %d tensors: %.3f ms a step%n",
            device, params.size(), spent / 1e6 / steps);
      }
    }
  }
}
