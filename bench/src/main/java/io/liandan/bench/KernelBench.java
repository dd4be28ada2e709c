package io.liandan.bench;

import static io.liandan.bench.BenchArgs.intArg;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.liandan.llm.kernels.Kernels;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderConfig;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.LrSchedule;
import io.liandan.llm.train.CausalLmTrainer;
import io.liandan.llm.train.Optimization;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The reference (DJL-op) kernels against the torch (TorchScript) kernels, A/B interleaved in one
 * JVM, float32 on the CPU: attention forward + backward at the model's head shape, one AdamW step
 * over the model's parameters, and whole full-fine-tuning steps of a model with Qwen2.5-0.5B's
 * layer shape (hidden 896, 14/2 heads of 64, MLP 4864, vocabulary 151,936, tied) and fewer layers.
 * Peak RSS above the phase's start is sampled every 5 ms. Run: {@code java -cp …
 * io.liandan.bench.KernelBench layers batch seq steps} (defaults 4 2 512 3).
 */
public final class KernelBench {
  public static void main(String[] args) throws Exception {
    if (System.getenv("DJL_OFFLINE") == null) System.setProperty("ai.djl.offline", "true");
    int layers = intArg(args, 0, 4);
    int B = intArg(args, 1, 2);
    int T = intArg(args, 2, 512);
    int steps = intArg(args, 3, 3);
    DecoderConfig half = DeviceTrainBench.SHAPES.get("0.5b");
    DecoderConfig c =
        DeviceTrainBench.shape(
            half.hiddenSize(),
            half.intermediateSize(),
            layers,
            half.numAttentionHeads(),
            half.numKeyValueHeads());
    System.out.printf(
        "machine: %d cores, %s, java %s, torch threads %s; shape 0.5b x %d layers, B %d, T %d%n",
        Runtime.getRuntime().availableProcessors(),
        TrainBench.cpuModel(),
        System.getProperty("java.version"),
        System.getenv().getOrDefault("OMP_NUM_THREADS", "default"),
        layers,
        B,
        T);
    Kernels ref = Kernels.named("reference"), torch = Kernels.named("torch");
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      // attention alone: (B, 14, T, 64) queries, (B, 2, T, 64) keys/values, causal + padding mask
      for (int round = 0; round < 2; round++)
        for (Kernels k : List.of(ref, torch)) {
          try (NDManager sub = m.newSubManager()) {
            Phase p = Phase.start();
            double[] ms = attention(sub, k, c, B, T, 5);
            System.out.printf(
                "attention fwd+bwd %-9s median %7.1f ms (min %.1f), peak RSS +%d MB%n",
                k.name(), median(ms), Arrays.stream(ms).min().getAsDouble(), p.peakMb());
          }
        }
      // AdamW alone over the model's tensors, fresh gradients each step
      for (int round = 0; round < 2; round++)
        for (Kernels k : List.of(ref, torch)) {
          try (NDManager sub = m.newSubManager()) {
            double[] ms = adamw(sub, k, c, 4);
            System.out.printf(
                "adamw step      %-9s median %7.1f ms (min %.1f)%n",
                k.name(), median(ms), Arrays.stream(ms).min().getAsDouble());
          }
        }
      // whole steps: forward, loss, backward, clip, AdamW
      for (int round = 0; round < 2; round++)
        for (Kernels k : List.of(ref, torch)) {
          try (NDManager sub = m.newSubManager()) {
            Phase p = Phase.start();
            double[] ms = train(sub, k, c, B, T, steps);
            System.out.printf(
                "train step      %-9s median %7.0f ms (min %.0f), %.0f tokens/s, peak RSS +%d MB%n",
                k.name(),
                median(ms),
                Arrays.stream(ms).min().getAsDouble(),
                B * T / (median(ms) / 1000),
                p.peakMb());
          }
        }
    }
  }

  static double[] attention(NDManager m, Kernels k, DecoderConfig c, int B, int T, int reps) {
    int nH = c.numAttentionHeads(), nKv = c.numKeyValueHeads(), hd = c.headDim();
    NDArray q = m.randomNormal(new Shape(B, nH, T, hd));
    NDArray kk = m.randomNormal(new Shape(B, nKv, T, hd));
    NDArray v = m.randomNormal(new Shape(B, nKv, T, hd));
    // causal, the last 32 keys of row 0 padding: (B, 1, 1, T, T)
    float[] bias = new float[B * T * T];
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++)
        for (int j = 0; j < T; j++)
          bias[(b * T + t) * T + j] = j <= t && !(b == 0 && j >= T - 32) ? 0 : -Float.MAX_VALUE;
    NDArray mask = m.create(bias, new Shape(B, 1, 1, T, T));
    NDArray scale = m.create((float) (1 / Math.sqrt(hd)));
    for (NDArray a : List.of(q, kk, v)) a.setRequiresGradient(true);
    double[] ms = new double[reps];
    for (int i = -1; i < reps; i++) {
      long t0 = System.nanoTime();
      try (NDScope s = new NDScope();
          GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(k.attention(q, kk, v, mask, scale, null).sum());
        q.getGradient().getFloat(0, 0, 0, 0); // wait for the result
      }
      if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    return ms;
  }

  static double[] adamw(NDManager m, Kernels k, DecoderConfig c, int reps) {
    DecoderWeights w = DecoderWeights.random(c, 1, m);
    AdamW opt = new AdamW(w.tensors(), AdamW.Hyper.defaults(0.01), m, AdamW::isNoDecay, k);
    double[] ms = new double[reps];
    for (int i = -1; i < reps; i++) {
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        // a gradient of ones on every tensor, cheaply
        NDArray sum = null;
        for (NDArray p : w.tensors().values()) sum = sum == null ? p.sum() : sum.add(p.sum());
        gc.backward(sum);
      }
      long t0 = System.nanoTime();
      opt.step(1e-4);
      w.tensors().values().iterator().next().getFloat(0, 0); // wait for the result
      if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    return ms;
  }

  static double[] train(NDManager m, Kernels k, DecoderConfig c, int B, int T, int steps) {
    DecoderWeights w = DecoderWeights.random(c, 1, m);
    Decoder model = new Decoder(w);
    model.setKernels(k);
    AdamW opt = new AdamW(w.tensors(), AdamW.Hyper.defaults(0.01), m, AdamW::isNoDecay, k);
    CausalLmTrainer trainer =
        new CausalLmTrainer(
            model, new Optimization(opt, new LrSchedule("constant", 0, steps + 3), 1e-4, 1.0));
    SplittableRandom rng = new SplittableRandom(0);
    double[] ms = new double[steps];
    for (int s = -1; s < steps; s++) {
      long t0 = System.nanoTime();
      trainer.step(List.of(TrainBench.batch(rng, B, T)));
      if (s >= 0) ms[s] = (System.nanoTime() - t0) / 1e6;
    }
    return ms;
  }

  static double median(double[] a) {
    double[] s = a.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** Peak resident memory above the start of a phase, sampled by a daemon thread. */
  static final class Phase {
    private final long startKb;
    private final AtomicLong peakKb = new AtomicLong();
    private final Thread sampler;

    private Phase(long startKb) {
      this.startKb = startKb;
      this.peakKb.set(startKb);
      this.sampler =
          new Thread(
              () -> {
                try {
                  while (!Thread.currentThread().isInterrupted()) {
                    long now = TrainBench.rssKb();
                    peakKb.accumulateAndGet(now, Math::max);
                    Thread.sleep(5);
                  }
                } catch (Exception stopped) {
                  // interrupted: the phase is over
                }
              });
      sampler.setDaemon(true);
      sampler.start();
    }

    static Phase start() throws Exception {
      System.gc();
      return new Phase(TrainBench.rssKb());
    }

    long peakMb() throws InterruptedException {
      sampler.interrupt();
      sampler.join();
      return (peakKb.get() - startKb) / 1024;
    }
  }
}
