package io.liandan.app;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.liandan.llm.generate.Generator;
import io.liandan.llm.generate.SamplingConfig;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.lora.LoraConfig;
import io.liandan.llm.model.CheckpointWriter;
import io.liandan.llm.model.Qwen2Config;
import io.liandan.llm.model.Qwen2Model;
import io.liandan.llm.model.Qwen2Weights;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.LrSchedule;
import io.liandan.llm.train.CausalLmTrainer;
import io.liandan.llm.train.MicroBatch;
import io.liandan.tracker.client.RunHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code liandan demo}: the engine end to end on a CPU in under a minute — a mini Qwen2 initialised
 * from a config, full-parameter pretraining on a synthetic corpus, a LoRA fine-tune on top, the
 * adapter saved in PEFT's format, merged into a Hugging Face checkpoint, reloaded and sampled. The
 * durable pipeline (Temporal, tracker, UI) replaces this once those modules land.
 */
@Command(
    name = "demo",
    description = "Train a mini Qwen2 from scratch, LoRA-tune, merge and generate (CPU, ~1 min).")
final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--out",
      defaultValue = "liandan-demo",
      description = "output folder (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--steps", defaultValue = "80", description = "optimizer steps per stage")
  int steps;

  @Option(names = "--no-tracker", description = "do not log the runs to the embedded tracker")
  boolean noTracker;

  @Mixin TrackerOptions db;

  static final Qwen2Config MINI =
      new Qwen2Config(
          "qwen2", 256, 128, 384, 2, 4, 2, 512, 10000, 1e-6, true, 0.02, 1, List.of(2), "float32");

  @Override
  public Integer call() {
    if (Files.exists(out))
      throw new IllegalArgumentException(out + ": already exists; pass --out NEW_DIR");
    String group =
        "demo-"
            + java.time.LocalDateTime.now()
                .format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    DemoTracking tracking = noTracker ? null : DemoTracking.start(db.config(), db.home(), group);
    try (NDManager m = NDManager.newBaseManager()) {
      Qwen2Weights w = Qwen2Weights.random(MINI, 0, m);
      Qwen2Model model = new Qwen2Model(w);
      System.out.printf(
          "model: %,d parameters (%s)%n", w.parameterCount(), "hidden 128, 2 layers, vocab 256");

      // stage 1, pretraining: every row counts up by 3 modulo 200 from a random start
      train("pt", model, w.tensors(), m, 3, 3e-3, tracking);
      CheckpointWriter.save(w, out.resolve("pt"), "float32", null);

      // stage 2, LoRA: the same model learns to count by 5; the base stays frozen
      LoraAdapter lora =
          LoraAdapter.init(LoraConfig.of(8, 16, 0.0, List.of(LoraConfig.ALL_LINEAR)), w, 0);
      model.setHook(lora);
      train("lora", model, lora.parameters(), m, 5, 3e-3, tracking);
      lora.save(out.resolve("lora"), out.resolve("pt").toString());

      // merge and reload: a plain checkpoint that transformers loads too
      lora.mergeInto(w);
      CheckpointWriter.save(w, out.resolve("merged"), "float32", null);
      try (Qwen2Weights merged = Qwen2Weights.load(out.resolve("merged"), m)) {
        long[] prompt = {10, 15, 20, 25};
        long[] ids =
            new Generator(new Qwen2Model(merged))
                .generate(List.of(prompt), SamplingConfig.greedy(12))
                .get(0);
        System.out.println("greedy from " + Arrays.toString(prompt) + ": " + Arrays.toString(ids));
        RunHandle gen =
            tracking == null ? null : tracking.run("generate", Map.of("max_new_tokens", 12));
        if (gen != null) {
          gen.samples(
              "generations",
              0,
              List.of(Map.of("prompt", Arrays.toString(prompt), "output", Arrays.toString(ids))));
          gen.finish();
        }
      }
    } finally {
      if (tracking != null) tracking.close();
    }
    System.out.println("artifacts: " + out.toAbsolutePath() + "/{pt,lora,merged}");
    if (tracking != null && tracking.on()) {
      System.out.println(
          "tracked: project 'demo', group "
              + group
              + " — see it with ./liandan server, then "
              + "http://127.0.0.1:7878/runs.html?project=demo");
    }
    return 0;
  }

  private void train(
      String stage,
      Qwen2Model model,
      Map<String, NDArray> params,
      NDManager m,
      int stride,
      double lr,
      DemoTracking tracking) {
    long trainable = params.values().stream().mapToLong(a -> a.getShape().size()).sum();
    RunHandle run =
        tracking == null
            ? null
            : tracking.run(
                stage,
                Map.of(
                    "learning_rate",
                    lr,
                    "max_steps",
                    steps,
                    "lr_scheduler_type",
                    "cosine",
                    "warmup_ratio",
                    0.1,
                    "per_device_train_batch_size",
                    8,
                    "max_grad_norm",
                    1.0,
                    "trainable_params",
                    trainable));
    AdamW opt = new AdamW(params, AdamW.Hyper.defaults(0.0), m, AdamW::isNoDecay);
    CausalLmTrainer t =
        new CausalLmTrainer(model, opt, LrSchedule.withWarmupRatio("cosine", 0.1, steps), lr, 1.0);
    SplittableRandom rng = new SplittableRandom(stride);
    long t0 = System.nanoTime();
    for (int s = 1; s <= steps; s++) {
      CausalLmTrainer.StepResult r = t.step(List.of(counting(rng, 8, 32, stride)));
      if (run != null) {
        run.log(
            Map.of(
                "train/loss",
                r.loss(),
                "train/grad_norm",
                r.gradNorm(),
                "train/learning_rate",
                r.lr()),
            s);
      }
      if (s == 1 || s % 20 == 0 || s == steps) {
        System.out.printf(
            "%-4s step %3d/%d  loss %.3f  grad_norm %.2f  lr %.2e  %.0f tokens/s%n",
            stage,
            s,
            steps,
            r.loss(),
            r.gradNorm(),
            r.lr(),
            s * r.tokens() / ((System.nanoTime() - t0) / 1e9));
      }
    }
    opt.close();
    if (run != null) run.finish();
  }

  static MicroBatch counting(SplittableRandom rng, int B, int T, int stride) {
    long[] ids = new long[B * T];
    for (int b = 0; b < B; b++) {
      int start = rng.nextInt(200);
      for (int t = 0; t < T; t++) ids[b * T + t] = 10 + (start + stride * t) % 200;
    }
    return new MicroBatch(B, T, ids, ids.clone(), null);
  }
}
