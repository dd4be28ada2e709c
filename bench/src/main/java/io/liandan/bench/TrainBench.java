package io.liandan.bench;

import static io.liandan.bench.BenchArgs.intArg;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderConfig;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.LrSchedule;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.train.CausalLmTrainer;
import io.liandan.llm.train.MicroBatch;
import io.liandan.llm.train.Optimization;
import io.liandan.spec.LoraConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * CPU training benchmark of a mini Qwen2 (hidden 256, 4 layers, the Qwen vocabulary), all numbers
 * from one process: float32 GEMM FLOP/s as the machine's ceiling, then tokens/s and model FLOP/s
 * for full fine-tuning and for LoRA, then resident memory over a long run. Run: {@code mvn -q -pl
 * bench exec:java -Dexec.args="steps batch seq memory-steps"} (defaults 10 4 256 1000).
 */
public final class TrainBench {
  static final DecoderConfig MINI = DeviceTrainBench.SHAPES.get("mini");

  public static void main(String[] args) throws Exception {
    if (System.getenv("DJL_OFFLINE") == null) System.setProperty("ai.djl.offline", "true");
    int steps = intArg(args, 0, 10);
    int B = intArg(args, 1, 4);
    int T = intArg(args, 2, 256);
    int memSteps = intArg(args, 3, 1000);
    System.out.printf(
        "machine: %d cores, %s, java %s%n",
        Runtime.getRuntime().availableProcessors(), cpuModel(), System.getProperty("java.version"));
    double gemm = gemmFlops(Device.cpu(), DataType.FLOAT32, 1024, 20);
    System.out.printf("float32 GEMM 1024^3: %.1f GFLOP/s%n", gemm / 1e9);
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      for (String mode : List.of("full", "lora")) {
        try (NDManager sub = m.newSubManager()) {
          Result r = train(sub, mode, steps, B, T);
          System.out.printf(
              "%s: %d params trained, %.0f tokens/s, %.1f GFLOP/s model = %.0f %% of GEMM, loss %.3f -> %.3f%n",
              mode,
              r.trained,
              r.tokensPerS,
              r.flops / 1e9,
              100 * r.flops / gemm,
              r.firstLoss,
              r.lastLoss);
        }
      }
      try (NDManager sub = m.newSubManager()) {
        memory(sub, memSteps);
      }
    }
  }

  record Result(long trained, double tokensPerS, double flops, double firstLoss, double lastLoss) {}

  static Result train(NDManager m, String mode, int steps, int B, int T) {
    DecoderWeights w = DecoderWeights.random(MINI, 1, m);
    Decoder model = new Decoder(w);
    Map<String, NDArray> params;
    if (mode.equals("lora")) {
      LoraAdapter lora =
          LoraAdapter.init(LoraConfig.of(8, 16, 0.0, List.of(LoraConfig.ALL_LINEAR)), w, 1);
      model.setHook(lora);
      params = lora.parameters();
    } else {
      params = w.tensors();
    }
    long trained = params.values().stream().mapToLong(a -> a.getShape().size()).sum();
    AdamW opt = new AdamW(params, AdamW.Hyper.defaults(0.01), m, AdamW::isNoDecay);
    CausalLmTrainer trainer =
        new CausalLmTrainer(
            model, new Optimization(opt, new LrSchedule("constant", 0, steps + 3), 1e-3, 1.0));
    SplittableRandom rng = new SplittableRandom(0);
    int warm = 3;
    double first = 0, last = 0;
    long t0 = 0;
    for (int s = 0; s < warm + steps; s++) {
      if (s == warm) t0 = System.nanoTime();
      // a repeating token pattern: the loss must fall, which shows the step learns
      last = trainer.step(List.of(batch(rng, B, T))).loss();
      if (s == 0) first = last;
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    double tps = (double) steps * B * T / secs;
    return new Result(trained, tps, tps * flopsPerToken(MINI, T, mode.equals("lora")), first, last);
  }

  /**
   * Training FLOPs per token: 6 per matmul weight (2 forward + 4 backward) over the linears and the
   * lm_head, plus attention's QKᵀ and AV (2·T·C each per layer, forward; ×3 with backward). Under
   * LoRA the frozen weights need no weight gradient: 4 per frozen weight instead of 6.
   */
  static double flopsPerToken(DecoderConfig c, int T, boolean lora) {
    long C = c.hiddenSize(),
        I = c.intermediateSize(),
        kv = (long) c.numKeyValueHeads() * c.headDim();
    long perLayer = C * C * 2 + 2 * C * kv + 3 * C * I;
    long matmulWeights = perLayer * c.numHiddenLayers() + (long) c.vocabSize() * C;
    double attention = 3.0 * 2 * 2 * T * C * c.numHiddenLayers();
    return (lora ? 4.0 : 6.0) * matmulWeights + attention;
  }

  static MicroBatch batch(SplittableRandom rng, int B, int T) {
    long[] ids = new long[B * T];
    int period = 17;
    for (int b = 0; b < B; b++) {
      int offset = rng.nextInt(1000);
      for (int t = 0; t < T; t++) ids[b * T + t] = 1000 + (offset + t) % period * 7;
    }
    return new MicroBatch(B, T, ids, ids.clone(), null);
  }

  /** Resident memory after 100 and after `steps` LoRA steps of a small batch: it must stay flat. */
  static void memory(NDManager m, int steps) throws Exception {
    DecoderWeights w = DecoderWeights.random(MINI, 2, m);
    Decoder model = new Decoder(w);
    LoraAdapter lora =
        LoraAdapter.init(LoraConfig.of(8, 16, 0.05, List.of("q_proj", "v_proj")), w, 1);
    model.setHook(lora);
    AdamW opt = new AdamW(lora.parameters(), AdamW.Hyper.defaults(0.0), m, AdamW::isNoDecay);
    CausalLmTrainer trainer =
        new CausalLmTrainer(
            model, new Optimization(opt, new LrSchedule("cosine", 10, steps), 1e-4, 1.0));
    SplittableRandom rng = new SplittableRandom(1);
    long at100 = 0;
    long t0 = System.nanoTime();
    for (int s = 1; s <= steps; s++) {
      trainer.step(List.of(batch(rng, 1, 64)));
      if (s == 100) at100 = rssKb();
    }
    System.out.printf(
        "memory: RSS %.1f MB after 100 steps, %.1f MB after %d steps (%+.1f MB), %.1f s%n",
        at100 / 1024.0,
        rssKb() / 1024.0,
        steps,
        (rssKb() - at100) / 1024.0,
        (System.nanoTime() - t0) / 1e9);
  }

  /** n³ matmuls of {@code type} on the device, the result read back (a sync) each time. */
  static double gemmFlops(Device device, DataType type, int n, int reps) {
    try (NDManager m = NDManager.newBaseManager(device);
        NoGrad ng = new NoGrad()) {
      NDArray x = m.randomNormal(new Shape(n, n)).toType(type, false);
      NDArray y = m.randomNormal(new Shape(n, n)).toType(type, false);
      for (int i = 0; i < 3; i++) {
        try (NDScope s = new NDScope()) {
          x.matMul(y).get(0, 0).toType(DataType.FLOAT32, false).getFloat();
        }
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < reps; i++) {
        try (NDScope s = new NDScope()) {
          x.matMul(y).get(0, 0).toType(DataType.FLOAT32, false).getFloat();
        }
      }
      return 2.0 * n * n * n * reps / ((System.nanoTime() - t0) / 1e9);
    }
  }

  static long rssKb() throws Exception {
    return status("VmRSS:");
  }

  /** A /proc/self/status field in kB. */
  static long status(String field) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(field)) return Long.parseLong(line.replaceAll("\\D", ""));
    }
    return -1;
  }

  static String cpuModel() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
      if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 2);
    }
    return "unknown cpu";
  }
}
