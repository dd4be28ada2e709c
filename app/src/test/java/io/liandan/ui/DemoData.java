package io.liandan.ui;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Demo-like data for the README's screenshots: one project of Qwen2.5-0.5B fine-tuning pipelines
 * (sft → dpo → eval), each a group of stage runs with curves, samples and artifacts; one pipeline
 * still running, one whose DPO stage crashed. Deterministic (seeded noise), so the pictures only
 * change when the UI does.
 */
public final class DemoData {
  public static final String PROJECT = "qwen2.5-0.5b-chat";

  /** The stage runs of one pipeline, by stage. */
  public record Pipeline(String name, Map<String, Long> stages) {}

  private static final String[] PROMPTS = {
    "Explain gradient accumulation in two sentences.",
    "Write a haiku about a training run that crashed at 80%.",
    "What is the capital of Australia?",
    "Translate 'the model converged' into French.",
  };

  private final Seed seed;
  private final Instant now = Instant.now().truncatedTo(ChronoUnit.MINUTES);

  public DemoData(Seed seed) {
    this.seed = seed;
  }

  /** Seeds every pipeline; returns them oldest first. */
  public List<Pipeline> seed() {
    List<Pipeline> out = new ArrayList<>();
    out.add(pipeline("sft-lr2e-5-r8", 2e-5, 8, 26, 1.00, false, false));
    out.add(pipeline("sft-lr5e-5-r16", 5e-5, 16, 20, 0.86, true, false));
    out.add(pipeline("sft-lr1e-4-r16", 1e-4, 16, 14, 0.80, false, true));
    out.add(pipeline("sft-lr1e-4-r32", 1e-4, 32, 3, 0.78, false, false));
    return out;
  }

  /**
   * One pipeline that started {@code hoursAgo}; {@code quality} scales its losses (lower is
   * better). The most recent one is still in its DPO stage; a {@code retried} one's DPO stage was
   * resumed twice.
   */
  private Pipeline pipeline(
      String name,
      double lr,
      int rank,
      int hoursAgo,
      double quality,
      boolean crash,
      boolean retried) {
    SplittableRandom rnd = new SplittableRandom(name.hashCode());
    boolean live = hoursAgo < 4;
    Map<String, Object> base = new LinkedHashMap<>();
    base.put("model", "Qwen/Qwen2.5-0.5B-Instruct");
    base.put("dataset", "alpaca-gpt4-zh");
    base.put("learning_rate", lr);
    base.put("lora_r", rank);
    base.put("lora_alpha", 2 * rank);
    base.put("batch_size", 16);
    base.put("max_length", 2048);
    base.put("seed", 42);
    Map<String, Long> stages = new LinkedHashMap<>();
    Instant start = now.minus(Duration.ofHours(hoursAgo));

    // sft: 1,200 steps in 70 minutes
    long sft = seed.run(PROJECT, name + "/sft", name, "sft", base, List.of("lora", "zh"));
    int sftSteps = 1200;
    long msPerStep = 3500;
    seed.curve(
        sft,
        "train/loss",
        sftSteps,
        s -> quality * (0.9 + 1.6 * Math.exp(-s / 180.0)) + noise(rnd, 0.05),
        start,
        msPerStep);
    seed.curve(sft, "train/lr", sftSteps, s -> lr * warmupCosine(s, sftSteps), start, msPerStep);
    seed.curve(
        sft,
        "train/grad_norm",
        sftSteps,
        s -> 0.6 + 2.5 * Math.exp(-s / 90.0) + Math.abs(noise(rnd, 0.15)),
        start,
        msPerStep);
    seed.curve(
        sft,
        "eval/loss",
        13,
        s -> quality * (1.0 + 1.4 * Math.exp(-s * 100 / 200.0)) + noise(rnd, 0.01),
        start,
        msPerStep * 100);
    seed.curve(
        sft,
        "system/gpu_mem_gb",
        sftSteps,
        s -> 9.5 + rank / 16.0 + noise(rnd, 0.05),
        start,
        msPerStep);
    seed.curve(
        sft,
        "system/tokens_per_s",
        sftSteps,
        s -> 5200 - rank * 20 + noise(rnd, 120),
        start,
        msPerStep);
    Instant sftEnd = start.plusMillis(sftSteps * msPerStep);
    seed.samples(sft, "generations", (long) sftSteps, generations("sft", quality));
    long adapter =
        seed.produced(
            sft,
            "sft-adapter",
            "lora-adapter",
            "file:///data/artifacts/" + name + "/sft",
            35_000_000L * rank / 8);
    seed.patch(sft, "finished", Map.of("eval/loss", quality * 1.02, "train/tokens", 39_321_600));
    seed.times(sft, start, sftEnd, sftEnd);
    stages.put("sft", sft);

    // dpo: 600 steps in 40 minutes
    Map<String, Object> dpoConfig = new LinkedHashMap<>(base);
    dpoConfig.put("learning_rate", lr / 10);
    dpoConfig.put("beta", 0.1);
    long dpo = seed.run(PROJECT, name + "/dpo", name, "dpo", dpoConfig, List.of("lora"));
    Instant dpoStart = sftEnd.plusSeconds(40);
    int dpoSteps = live ? 380 : crash ? 410 : 600;
    long dpoMs = 4000;
    seed.used(dpo, adapter);
    seed.curve(
        dpo,
        "train/loss",
        dpoSteps,
        s -> 0.69 * Math.exp(-s / (300.0 * quality)) + 0.08 + noise(rnd, 0.04),
        dpoStart,
        dpoMs);
    seed.curve(
        dpo,
        "rewards/chosen",
        dpoSteps,
        s -> 0.8 * (1 - Math.exp(-s / 150.0)) / quality + noise(rnd, 0.08),
        dpoStart,
        dpoMs);
    seed.curve(
        dpo,
        "rewards/rejected",
        dpoSteps,
        s -> -1.6 * (1 - Math.exp(-s / 150.0)) / quality + noise(rnd, 0.08),
        dpoStart,
        dpoMs);
    seed.curve(
        dpo,
        "rewards/margins",
        dpoSteps,
        s -> 2.4 * (1 - Math.exp(-s / 150.0)) / quality + noise(rnd, 0.1),
        dpoStart,
        dpoMs);
    seed.curve(
        dpo,
        "rewards/accuracies",
        dpoSteps,
        s -> Math.min(1, 0.5 + 0.45 * (1 - Math.exp(-s / 120.0)) / quality + noise(rnd, 0.03)),
        dpoStart,
        dpoMs);
    seed.curve(
        dpo,
        "system/gpu_mem_gb",
        dpoSteps,
        s -> 14.2 + rank / 16.0 + noise(rnd, 0.05),
        dpoStart,
        dpoMs);
    Instant dpoEnd = dpoStart.plusMillis(dpoSteps * dpoMs);
    seed.samples(dpo, "generations", (long) dpoSteps, generations("dpo", quality));
    stages.put("dpo", dpo);
    if (live) {
      seed.times(dpo, dpoStart, now, null); // heartbeat now: shows live
      return new Pipeline(name, stages);
    }
    if (crash) {
      seed.times(dpo, dpoStart, dpoEnd, null); // heartbeat stopped hours ago: crashed
      seed.resumed(dpo, dpoStart.plusSeconds(900)); // after a worker restart, before the crash
      return new Pipeline(name, stages);
    }
    long dpoAdapter =
        seed.produced(
            dpo,
            "dpo-adapter",
            "lora-adapter",
            "file:///data/artifacts/" + name + "/dpo",
            35_000_000L * rank / 8);
    seed.patch(dpo, "finished", Map.of("rewards/accuracies", Math.min(0.97, 0.95 / quality)));
    if (retried) {
      seed.resumed(dpo, dpoStart.plusSeconds(600), dpoStart.plusSeconds(1500)); // retried twice
    }
    seed.times(dpo, dpoStart, dpoEnd, dpoEnd);

    // eval: 5 minutes, summary only
    long eval = seed.run(PROJECT, name + "/eval", name, "eval", base, List.of());
    seed.used(eval, dpoAdapter);
    Instant evalStart = dpoEnd.plusSeconds(30);
    seed.patch(
        eval,
        "finished",
        Map.of("eval/win_rate", Math.min(0.9, 0.62 / quality), "eval/mt_bench", 6.9 / quality));
    seed.times(eval, evalStart, evalStart.plusSeconds(300), evalStart.plusSeconds(300));
    stages.put("eval", eval);
    return new Pipeline(name, stages);
  }

  private static List<Map<String, ?>> generations(String stage, double quality) {
    String[][] answers = {
      {
        "Gradient accumulation sums gradients over several micro-batches before one optimizer step. It trains with a large effective batch on a small GPU.",
        "Gradients from several small batches are added up, then the optimizer steps once — a big batch without the memory.",
      },
      {
        "Loss curve falling / eighty percent, then silence — / resume from checkpoint.",
        "Eighty percent done, / the heartbeat stops; Temporal / quietly retries.",
      },
      {"Canberra.", "The capital of Australia is Canberra (not Sydney)."},
      {"Le modèle a convergé.", "« Le modèle a convergé. »"},
    };
    int pick = stage.equals("sft") ? 0 : 1;
    List<Map<String, ?>> rows = new ArrayList<>();
    for (int i = 0; i < PROMPTS.length; i++) {
      String answer =
          quality > 0.95 && i == 1 && pick == 0
              ? "Training, training, training."
              : answers[i][pick];
      rows.add(Map.of("prompt", PROMPTS[i], "output", answer, "stage", stage));
    }
    return rows;
  }

  private static double warmupCosine(long step, int total) {
    int warmup = total / 20;
    if (step < warmup) {
      return (step + 1) / (double) warmup;
    }
    return 0.5 * (1 + Math.cos(Math.PI * (step - warmup) / (double) (total - warmup)));
  }

  private static double noise(SplittableRandom rnd, double scale) {
    return (rnd.nextDouble() - 0.5) * 2 * scale;
  }
}
