package io.liandan.llm.stage;

import io.liandan.llm.data.tokenize.TokenShards;
import io.liandan.llm.data.tokenize.TokenizeManifest;
import io.liandan.llm.model.CheckpointWriter;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.GradScaler;
import io.liandan.llm.optim.LrSchedule;
import io.liandan.llm.train.CausalLmTrainer;
import io.liandan.llm.train.DpoTrainer;
import io.liandan.llm.train.KtoBatch;
import io.liandan.llm.train.KtoLoss;
import io.liandan.llm.train.KtoTrainer;
import io.liandan.llm.train.MicroBatch;
import io.liandan.llm.train.Optimization;
import io.liandan.llm.train.PreferenceBatch;
import io.liandan.llm.train.ShardBatches;
import io.liandan.llm.train.TrainCheckpoint;
import io.liandan.spec.ModelSource;
import io.liandan.spec.TrainRequest;
import io.liandan.spec.TrainingArgs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A PT, SFT, DPO or KTO stage, top to bottom: load the model (merging earlier adapters), add a
 * fresh LoRA adapter or train every weight, build the optimizer and schedule from the arguments,
 * resume from the newest checkpoint if there is one, then step — logging every {@code
 * logging_steps}, evaluating every {@code eval_steps}, checkpointing every {@code save_steps} and
 * at the end — and finally evaluate, generate, save the weights or adapter, and write result.json
 * last. Running it again after result.json exists returns that result; after a crash it continues
 * exactly.
 */
public final class TrainStage {
  static final String CHECKPOINTS = "checkpoints";

  public TrainResult run(TrainRequest req, StageListener listener) {
    Path out = Path.of(req.out());
    Optional<TrainResult> done = StageFiles.read(out.resolve(TrainResult.FILE), TrainResult.class);
    if (done.isPresent()) return done.get();
    TokenizeManifest manifest = checked(req);
    TrainingArgs args = req.args();
    Path data = Path.of(req.tokenized());
    TokenShards trainShards = manifest.open(data, "train");
    TokenShards evalShards =
        manifest.splits().get("eval").samples() > 0 ? manifest.open(data, "eval") : null;
    try (StageModels ms = StageModels.load(req)) {
      SampleGenerations samples =
          new SampleGenerations(
              req.model().path(), !req.stage().equals("pt"), args.maxNewTokens(), args.seed());
      if (req.sampleBefore())
        listener.samples(
            SampleGenerations.TABLE, 0, samples.generate(ms.model, req.samplePrompts(), "base"));
      boolean pairs = req.stage().equals("dpo") || req.stage().equals("kto");
      ShardBatches batches =
          pairs
              ? ShardBatches.pairs(trainShards, args.perDeviceTrainBatchSize(), args.seed(), 0)
              : new ShardBatches(trainShards, args.perDeviceTrainBatchSize(), args.seed(), 0);
      long total = totalSteps(args, batches);
      AdamW.Hyper hyper =
          new AdamW.Hyper(
              args.adamBeta1(), args.adamBeta2(), args.adamEpsilon(), args.weightDecay());
      try (AdamW opt = new AdamW(ms.trainable(), hyper, ms.manager, AdamW::isNoDecay, ms.kernels)) {
        Optimization o =
            new Optimization(
                opt, schedule(args, total), args.learningRate(), args.maxGradNorm(), args.seed());
        Training training = training(req, ms, o, batches, evalShards);
        Resume resume = resume(out.resolve(CHECKPOINTS), ms, opt, batches);
        // where the stage starts, on held-out data: the baseline its eval curve falls from
        if (resume.fromStep() == 0) listener.metrics(0, training.evaluate().run());
        Loop loop = loop(args, ms, opt, batches, training, resume, total, out, listener);
        return finish(req, ms, training, loop, resume.fromStep(), total, samples, listener);
      }
    }
  }

  /** The request's problems, all at once, before any data or weights are read. */
  private static TokenizeManifest checked(TrainRequest req) {
    TrainingArgs args = req.args();
    List<String> problems = new ArrayList<>(args.problems());
    problems.addAll(args.problems(req.stage()));
    problems.addAll(Devices.problems(req.device()));
    if (!problems.isEmpty()) throw new IllegalArgumentException(String.join("; ", problems));
    Devices.resolve(req.device()); // no GPU for "cuda": fail before reading data or weights
    Path data = Path.of(req.tokenized());
    TokenizeManifest manifest = TokenizeManifest.read(data);
    if (!manifest.kind().equals(req.stage()))
      throw new IllegalArgumentException(
          data + ": tokenized for " + manifest.kind() + ", not for a " + req.stage() + " stage");
    if (args.lora() && req.model().fromScratch())
      throw new IllegalArgumentException(
          req.model().dir()
              + ": has no weights (a config only); train it from scratch with finetuning_type"
              + " full, LoRA needs pretrained weights");
    return manifest;
  }

  /** Optimizer steps: max_steps, or epochs of gradient_accumulation_steps micro-batches each. */
  private static long totalSteps(TrainingArgs args, ShardBatches batches) {
    long stepsPerEpoch = Math.max(1, batches.batchesPerEpoch() / args.gradientAccumulationSteps());
    return args.maxSteps() > 0
        ? args.maxSteps()
        : (long) Math.ceil(args.numTrainEpochs() * stepsPerEpoch);
  }

  private static LrSchedule schedule(TrainingArgs args, long total) {
    return args.warmupSteps() > 0
        ? new LrSchedule(args.lrSchedulerType(), args.warmupSteps(), total)
        : LrSchedule.withWarmupRatio(args.lrSchedulerType(), args.warmupRatio(), total);
  }

  /** One optimizer step's metrics; how held-out data is scored; what a step's throughput counts. */
  private record Training(Stepper stepper, Evaluator evaluate, String unit) {}

  private static Training training(
      TrainRequest req,
      StageModels ms,
      Optimization opt,
      ShardBatches batches,
      TokenShards evalShards) {
    TrainingArgs args = req.args();
    int evalBatch = args.perDeviceEvalBatchSize();
    switch (req.stage()) {
      case "kto" -> {
        KtoTrainer t =
            new KtoTrainer(
                ms.model,
                ms.startModel(),
                opt,
                KtoLoss.Weights.of(args),
                ms.scaler,
                args.gradientCheckpointing());
        Evaluator eval =
            () -> evalShards == null ? Map.of() : HeldOut.kto(t, evalShards, evalBatch);
        return new Training(() -> ktoStep(t, batches, args), eval, "examples");
      }
      case "dpo" -> {
        DpoTrainer t =
            new DpoTrainer(
                    ms.model,
                    args.preferenceLoss().referenceFree() ? null : ms.startModel(), // orpo, simpo
                    opt,
                    args.beta())
                .withLoss(args.preferenceLoss())
                .withLossScaling(ms.scaler)
                .withGradientCheckpointing(args.gradientCheckpointing());
        Evaluator eval =
            () -> evalShards == null ? Map.of() : HeldOut.dpo(t, evalShards, evalBatch);
        return new Training(() -> dpoStep(t, batches, args), eval, "pairs");
      }
      default -> {
        CausalLmTrainer t =
            new CausalLmTrainer(ms.model, opt)
                .withLossScaling(ms.scaler)
                .withGradientCheckpointing(args.gradientCheckpointing());
        Evaluator eval =
            () -> evalShards == null ? Map.of() : HeldOut.causalLm(ms.model, evalShards, evalBatch);
        return new Training(() -> causalLmStep(t, batches, args), eval, "tokens");
      }
    }
  }

  private static Map<String, Double> ktoStep(
      KtoTrainer t, ShardBatches batches, TrainingArgs args) {
    List<KtoBatch> micro = microBatches(args, batches::nextKto);
    Map<String, Double> v = t.step(micro);
    v.values().removeIf(x -> Double.isNaN(x)); // a label absent from every micro-batch
    v.put("train/examples", (double) micro.stream().mapToInt(b -> b.desirable().length).sum());
    return v;
  }

  private static Map<String, Double> dpoStep(
      DpoTrainer t, ShardBatches batches, TrainingArgs args) {
    List<PreferenceBatch> micro = microBatches(args, batches::nextPairs);
    DpoTrainer.StepResult r = t.step(micro);
    Map<String, Double> v = r.metrics("");
    if (!Double.isNaN(r.gradNorm())) v.put("train/grad_norm", r.gradNorm());
    v.put("train/learning_rate", r.lr());
    v.put("train/pairs", (double) micro.stream().mapToInt(b -> b.chosen().batch()).sum());
    return v;
  }

  private static Map<String, Double> causalLmStep(
      CausalLmTrainer t, ShardBatches batches, TrainingArgs args) {
    List<MicroBatch> micro = microBatches(args, batches::next);
    CausalLmTrainer.StepResult r = t.step(micro);
    Map<String, Double> v = new LinkedHashMap<>();
    v.put("train/loss", r.loss());
    if (!Double.isNaN(r.gradNorm())) v.put("train/grad_norm", r.gradNorm());
    v.put("train/learning_rate", r.lr());
    v.put("train/tokens", (double) r.tokens());
    return v;
  }

  /** One optimizer step's micro-batches: gradient_accumulation_steps of them. */
  private static <B> List<B> microBatches(TrainingArgs args, Supplier<B> next) {
    List<B> micro = new ArrayList<>();
    for (int i = 0; i < args.gradientAccumulationSteps(); i++) micro.add(next.get());
    return micro;
  }

  /** Where a resumed run stands: the step it continues from and its newest checkpoint. */
  private record Resume(long fromStep, String lastCheckpoint, LogWindow window) {}

  /** Weights, moments, step, data position and the open logging window of the newest checkpoint. */
  private static Resume resume(Path checkpoints, StageModels ms, AdamW opt, ShardBatches batches) {
    LogWindow window = new LogWindow();
    Optional<Path> latest = TrainCheckpoint.latest(checkpoints);
    if (latest.isEmpty()) return new Resume(0, null, window);
    batches.seek(TrainCheckpoint.restore(latest.get(), ms.trainable(), opt));
    Map<String, Double> carry = TrainCheckpoint.state(latest.get()).carry();
    window.restore(carry);
    if (ms.scaler != null) ms.scaler.restore(carry);
    return new Resume(opt.stepCount(), latest.get().toString(), window);
  }

  /** What the step loop leaves: the last logged line, its work, time and newest checkpoint. */
  private record Loop(
      Map<String, Double> last,
      double work,
      double seconds,
      double checkpointSeconds,
      String lastCheckpoint) {}

  /** Steps to {@code total}, logging, evaluating and checkpointing on the arguments' schedule. */
  private static Loop loop(
      TrainingArgs args,
      StageModels ms,
      AdamW opt,
      ShardBatches batches,
      Training training,
      Resume resume,
      long total,
      Path out,
      StageListener listener) {
    LogWindow window = resume.window();
    String unit = training.unit(), lastCheckpoint = resume.lastCheckpoint();
    long t0 = System.nanoTime(), windowStart = t0, checkpointNanos = 0;
    double windowWork = 0, work = 0;
    Map<String, Double> last = Map.of();
    while (opt.stepCount() < total) {
      Map<String, Double> v = training.stepper().step();
      window.add(v);
      long step = opt.stepCount();
      windowWork += v.getOrDefault("train/" + unit, 0.0);
      work += v.getOrDefault("train/" + unit, 0.0);
      if (step % args.loggingSteps() == 0 || step == total) {
        double secs = (System.nanoTime() - windowStart) / 1e9;
        last = logLine(window.drain(), v, ms, batches, unit, windowWork / secs);
        listener.metrics(step, last);
        windowStart = System.nanoTime();
        windowWork = 0;
      }
      if (args.evalSteps() > 0 && step % args.evalSteps() == 0 && step < total)
        listener.metrics(step, training.evaluate().run());
      if ((args.saveSteps() > 0 && step % args.saveSteps() == 0) || step == total) {
        listener.beforeCheckpoint(step);
        long c0 = System.nanoTime();
        lastCheckpoint =
            TrainCheckpoint.save(
                    out.resolve(CHECKPOINTS),
                    ms.trainable(),
                    opt,
                    batches.position(),
                    carry(window, ms.scaler),
                    args.saveTotalLimit())
                .toString();
        checkpointNanos += System.nanoTime() - c0;
      }
      listener.progress(step, total, lastCheckpoint);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Loop(last, work, seconds, checkpointNanos / 1e9, lastCheckpoint);
  }

  /** A logging step's line: the window's means, this step's grad_norm and lr, rates, system. */
  private static Map<String, Double> logLine(
      Map<String, Double> line,
      Map<String, Double> step,
      StageModels ms,
      ShardBatches batches,
      String unit,
      double perSecond) {
    // this step's, as Trainer logs it; none when fp16 skipped the step (NaN: overflow)
    if (step.containsKey("train/grad_norm"))
      line.put("train/grad_norm", step.get("train/grad_norm"));
    else line.remove("train/grad_norm");
    line.put("train/learning_rate", step.get("train/learning_rate"));
    if (ms.scaler != null) line.put("train/loss_scale", ms.scaler.scale());
    line.remove("train/tokens");
    line.remove("train/pairs");
    line.remove("train/examples");
    line.put("train/epoch", epoch(batches));
    line.put("train/" + unit + "_per_second", perSecond);
    line.putAll(SystemMetrics.sample(ms.manager.getDevice()));
    return line;
  }

  /** The end: held-out metrics, generations, the trained weights or adapter, result.json last. */
  private static TrainResult finish(
      TrainRequest req,
      StageModels ms,
      Training training,
      Loop loop,
      long resumedFrom,
      long total,
      SampleGenerations samples,
      StageListener listener) {
    TrainingArgs args = req.args();
    Path out = Path.of(req.out());
    Map<String, Double> metrics = new LinkedHashMap<>(loop.last());
    Map<String, Double> eval = training.evaluate().run();
    listener.metrics(total, eval);
    metrics.putAll(eval);
    listener.samples(
        SampleGenerations.TABLE,
        total,
        samples.generate(ms.model, req.samplePrompts(), req.stage()));
    ModelSource next = save(req, ms, out, args);
    Map<String, Object> summary = new LinkedHashMap<>(metrics);
    summary.put(
        "trainable_params",
        ms.trainable().values().stream().mapToLong(a -> a.getShape().size()).sum());
    if (ms.weights.quantized()) summary.put("nf4_weight_bytes", ms.weights.quantizedBytes());
    if (ms.scaler != null) {
      summary.put("loss_scale", ms.scaler.scale());
      summary.put("skipped_steps", ms.scaler.skippedSteps()); // inf/NaN gradients, fp16
    }
    summary.put("total_steps", total);
    summary.put("resumed_from_step", resumedFrom);
    summary.put("train_runtime", loop.seconds()); // the step loop, checkpoints included
    summary.put("train_" + training.unit(), loop.work()); // this run's, padding included
    summary.put("checkpoint_seconds", loop.checkpointSeconds());
    if (loop.lastCheckpoint() != null)
      summary.put("checkpoint_bytes", folderBytes(Path.of(loop.lastCheckpoint())));
    listener.summary(summary);
    TrainResult result =
        new TrainResult(req.stage(), out.toString(), next, total, resumedFrom, metrics);
    StageFiles.write(out.resolve(TrainResult.FILE), result);
    return result;
  }

  /** The trained adapter (with its base noted) or the whole model; what the next stage loads. */
  private static ModelSource save(TrainRequest req, StageModels ms, Path out, TrainingArgs args) {
    if (ms.lora != null) {
      Path adapter = out.resolve("adapter");
      String base =
          AdapterBase.resolve(req.model(), ms.weights, out, args.saveDtype(), args.seed());
      ms.lora.save(adapter, base);
      AdapterBase.writeNote(adapter, req.model(), base);
      return req.model().withAdapter(adapter);
    }
    Path saved = out.resolve("model");
    CheckpointWriter.deleteRecursively(saved); // an earlier attempt that died before result.json
    CheckpointWriter.save(ms.weights, saved, args.saveDtype(), req.model().path());
    return ModelSource.of(saved);
  }

  /** What a checkpoint carries besides tensors: the log window's sums and the fp16 scaler. */
  private static Map<String, Double> carry(LogWindow window, GradScaler scaler) {
    Map<String, Double> c = new LinkedHashMap<>(window.carry());
    if (scaler != null) c.putAll(scaler.state());
    return c;
  }

  private static long folderBytes(Path dir) {
    try (var files = Files.list(dir)) {
      return files.mapToLong(f -> f.toFile().length()).sum();
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  /** Fractional epochs done, from the data position (Trainer's {@code epoch}). */
  private static double epoch(ShardBatches batches) {
    ShardBatches.Position p = batches.position();
    return p.epoch() + (double) p.index() / batches.samples();
  }

  @FunctionalInterface
  private interface Stepper {
    Map<String, Double> step();
  }

  @FunctionalInterface
  private interface Evaluator {
    Map<String, Double> run();
  }
}
