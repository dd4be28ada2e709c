package io.liandan.llm.stage;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.liandan.llm.data.tokenize.TokenShards;
import io.liandan.llm.data.tokenize.TokenizeManifest;
import io.liandan.llm.kernels.Kernels;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.CheckpointWriter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.GradScaler;
import io.liandan.llm.optim.LrSchedule;
import io.liandan.llm.train.CausalLmTrainer;
import io.liandan.llm.train.DpoTrainer;
import io.liandan.llm.train.KtoBatch;
import io.liandan.llm.train.KtoTrainer;
import io.liandan.llm.train.MicroBatch;
import io.liandan.llm.train.PreferenceBatch;
import io.liandan.llm.train.ShardBatches;
import io.liandan.llm.train.TrainCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
    boolean dpo = req.stage().equals("dpo"), kto = req.stage().equals("kto");
    String unit = dpo ? "pairs" : kto ? "examples" : "tokens"; // what a step's throughput counts
    TokenShards trainShards = manifest.open(data, "train");
    TokenShards evalShards =
        manifest.splits().get("eval").samples() > 0 ? manifest.open(data, "eval") : null;

    try (NDManager m = ModelLoader.manager(req.device());
        DecoderWeights w =
            args.quantizationBit() == 4
                ? ModelLoader.loadQuantized(
                    req.model(), m, args.seed(), args.doubleQuantization()) // Q-LoRA: NF4 base
                : ModelLoader.load(req.model(), m, args.seed());
        LoraAdapter lora =
            args.lora() ? LoraAdapter.init(args.loraConfig(), w, args.seed()) : null;
        DecoderWeights frozen =
            (kto || (dpo && !args.preferenceLoss().referenceFree())) && lora == null
                ? ModelLoader.load(req.model(), m, args.seed()) // the full-FT reference copy
                : null) {
      Decoder model = new Decoder(w);
      model.setHook(lora);
      Kernels kernels = Kernels.named(args.kernels());
      model.setKernels(kernels);
      // fp16: float16 linears over float32 masters, with dynamic loss scaling; with NF4 the
      // dequantized weights come out as float16 directly
      GradScaler scaler = args.fp16() ? new GradScaler() : null;
      if (args.fp16()) model.setComputeType(DataType.FLOAT16);
      Decoder frozenModel = frozen == null ? null : new Decoder(frozen);
      if (frozenModel != null) frozenModel.setKernels(kernels);
      Map<String, NDArray> trainable = lora != null ? lora.parameters() : w.tensors();
      long trainableCount = trainable.values().stream().mapToLong(a -> a.getShape().size()).sum();
      SampleGenerations samples =
          new SampleGenerations(
              req.model().path(), !req.stage().equals("pt"), args.maxNewTokens(), args.seed());
      if (req.sampleBefore())
        listener.samples(
            SampleGenerations.TABLE, 0, samples.generate(model, req.samplePrompts(), "base"));

      // data and schedule: an optimizer step = gradient_accumulation_steps micro-batches
      ShardBatches batches =
          dpo || kto
              ? ShardBatches.pairs(trainShards, args.perDeviceTrainBatchSize(), args.seed(), 0)
              : new ShardBatches(trainShards, args.perDeviceTrainBatchSize(), args.seed(), 0);
      long stepsPerEpoch =
          Math.max(1, batches.batchesPerEpoch() / args.gradientAccumulationSteps());
      long total =
          args.maxSteps() > 0
              ? args.maxSteps()
              : (long) Math.ceil(args.numTrainEpochs() * stepsPerEpoch);
      LrSchedule schedule =
          args.warmupSteps() > 0
              ? new LrSchedule(args.lrSchedulerType(), args.warmupSteps(), total)
              : LrSchedule.withWarmupRatio(args.lrSchedulerType(), args.warmupRatio(), total);
      AdamW.Hyper hyper =
          new AdamW.Hyper(
              args.adamBeta1(), args.adamBeta2(), args.adamEpsilon(), args.weightDecay());
      try (AdamW opt = new AdamW(trainable, hyper, m, AdamW::isNoDecay, kernels)) {
        Stepper stepper;
        DpoTrainer dpoTrainer = null;
        KtoTrainer ktoTrainer = null;
        // the reference is the model this stage started from: the adapter switched off, or a
        // frozen copy for full fine-tuning — never the policy itself
        DpoTrainer.Reference startModel =
            lora != null
                ? (ids, mask) -> {
                  lora.setEnabled(false);
                  try {
                    return model.forward(ids, mask, false);
                  } finally {
                    lora.setEnabled(true);
                  }
                }
                : frozenModel == null ? null : (ids, mask) -> frozenModel.forward(ids, mask, false);
        if (kto) {
          KtoTrainer t =
              new KtoTrainer(
                  model,
                  startModel,
                  opt,
                  schedule,
                  args.learningRate(),
                  args.maxGradNorm(),
                  args.beta(),
                  args.desirableWeight(),
                  args.undesirableWeight(),
                  args.seed());
          ktoTrainer = t;
          stepper =
              () -> {
                List<KtoBatch> micro = new ArrayList<>();
                for (int i = 0; i < args.gradientAccumulationSteps(); i++)
                  micro.add(batches.nextKto());
                Map<String, Double> v = t.step(micro);
                v.values().removeIf(x -> Double.isNaN(x)); // a label absent from every micro-batch
                v.put(
                    "train/examples",
                    (double) micro.stream().mapToInt(b -> b.desirable().length).sum());
                return v;
              };
        } else if (dpo) {
          DpoTrainer.Reference ref =
              args.preferenceLoss().referenceFree()
                  ? null // orpo, simpo: no reference forward at all
                  : startModel;
          DpoTrainer t =
              new DpoTrainer(
                      model,
                      ref,
                      opt,
                      schedule,
                      args.learningRate(),
                      args.maxGradNorm(),
                      args.beta(),
                      args.seed())
                  .withLoss(args.preferenceLoss())
                  .withLossScaling(scaler)
                  .withGradientCheckpointing(args.gradientCheckpointing());
          dpoTrainer = t;
          stepper =
              () -> {
                List<PreferenceBatch> micro = new ArrayList<>();
                for (int i = 0; i < args.gradientAccumulationSteps(); i++)
                  micro.add(batches.nextPairs());
                DpoTrainer.StepResult r = t.step(micro);
                Map<String, Double> v = r.metrics("");
                if (!Double.isNaN(r.gradNorm())) v.put("train/grad_norm", r.gradNorm());
                v.put("train/learning_rate", r.lr());
                v.put(
                    "train/pairs", (double) micro.stream().mapToInt(b -> b.chosen().batch()).sum());
                return v;
              };
        } else {
          CausalLmTrainer t =
              new CausalLmTrainer(
                      model, opt, schedule, args.learningRate(), args.maxGradNorm(), args.seed())
                  .withLossScaling(scaler)
                  .withGradientCheckpointing(args.gradientCheckpointing());
          stepper =
              () -> {
                List<MicroBatch> micro = new ArrayList<>();
                for (int i = 0; i < args.gradientAccumulationSteps(); i++)
                  micro.add(batches.next());
                CausalLmTrainer.StepResult r = t.step(micro);
                Map<String, Double> v = new LinkedHashMap<>();
                v.put("train/loss", r.loss());
                if (!Double.isNaN(r.gradNorm())) v.put("train/grad_norm", r.gradNorm());
                v.put("train/learning_rate", r.lr());
                v.put("train/tokens", (double) r.tokens());
                return v;
              };
        }
        DpoTrainer evalTrainer = dpoTrainer;
        KtoTrainer evalKto = ktoTrainer;
        Evaluator evaluate =
            () ->
                evalShards == null
                    ? Map.of()
                    : dpo
                        ? HeldOut.dpo(evalTrainer, evalShards, args.perDeviceEvalBatchSize())
                        : kto
                            ? HeldOut.kto(evalKto, evalShards, args.perDeviceEvalBatchSize())
                            : HeldOut.causalLm(model, evalShards, args.perDeviceEvalBatchSize());

        // resume: weights, moments, step, data position and the open logging window
        Path checkpoints = out.resolve(CHECKPOINTS);
        LogWindow window = new LogWindow();
        long resumedFrom = 0;
        String lastCheckpoint = null;
        Optional<Path> latest = TrainCheckpoint.latest(checkpoints);
        if (latest.isPresent()) {
          batches.seek(TrainCheckpoint.restore(latest.get(), trainable, opt));
          Map<String, Double> carry = TrainCheckpoint.state(latest.get()).carry();
          window.restore(carry);
          if (scaler != null) scaler.restore(carry);
          resumedFrom = opt.stepCount();
          lastCheckpoint = latest.get().toString();
        }

        // where the stage starts, on held-out data: the baseline its eval curve falls from
        if (resumedFrom == 0) listener.metrics(0, evaluate.run());
        long t0 = System.nanoTime(), windowStart = t0, checkpointNanos = 0;
        double windowWork = 0, work = 0;
        Map<String, Double> last = Map.of();
        while (opt.stepCount() < total) {
          Map<String, Double> v = stepper.step();
          window.add(v);
          long step = opt.stepCount();
          windowWork += v.getOrDefault("train/" + unit, 0.0);
          work += v.getOrDefault("train/" + unit, 0.0);
          if (step % args.loggingSteps() == 0 || step == total) {
            Map<String, Double> line = window.drain();
            // this step's, as Trainer logs it; none when fp16 skipped the step (NaN: overflow)
            if (v.containsKey("train/grad_norm"))
              line.put("train/grad_norm", v.get("train/grad_norm"));
            else line.remove("train/grad_norm");
            line.put("train/learning_rate", v.get("train/learning_rate"));
            if (scaler != null) line.put("train/loss_scale", scaler.scale());
            line.remove("train/tokens");
            line.remove("train/pairs");
            line.remove("train/examples");
            line.put("train/epoch", epoch(batches));
            double secs = (System.nanoTime() - windowStart) / 1e9;
            line.put("train/" + unit + "_per_second", windowWork / secs);
            line.putAll(SystemMetrics.sample(m.getDevice()));
            listener.metrics(step, line);
            last = line;
            windowStart = System.nanoTime();
            windowWork = 0;
          }
          if (args.evalSteps() > 0 && step % args.evalSteps() == 0 && step < total)
            listener.metrics(step, evaluate.run());
          if ((args.saveSteps() > 0 && step % args.saveSteps() == 0) || step == total) {
            listener.beforeCheckpoint(step);
            long c0 = System.nanoTime();
            lastCheckpoint =
                TrainCheckpoint.save(
                        checkpoints,
                        trainable,
                        opt,
                        batches.position(),
                        carry(window, scaler),
                        args.saveTotalLimit())
                    .toString();
            checkpointNanos += System.nanoTime() - c0;
          }
          listener.progress(step, total, lastCheckpoint);
        }

        double loopSeconds = (System.nanoTime() - t0) / 1e9;
        // the end: held-out metrics, generations, the trained weights or adapter, result.json
        Map<String, Double> metrics = new LinkedHashMap<>(last);
        Map<String, Double> eval = evaluate.run();
        listener.metrics(total, eval);
        metrics.putAll(eval);
        listener.samples(
            SampleGenerations.TABLE,
            total,
            samples.generate(model, req.samplePrompts(), req.stage()));
        ModelSource next;
        if (lora != null) {
          Path adapter = out.resolve("adapter");
          String base = AdapterBase.resolve(req.model(), w, out, args.saveDtype(), args.seed());
          lora.save(adapter, base);
          AdapterBase.writeNote(adapter, req.model(), base);
          next = req.model().withAdapter(adapter);
        } else {
          Path saved = out.resolve("model");
          CheckpointWriter.deleteRecursively(
              saved); // an earlier attempt that died before result.json
          CheckpointWriter.save(w, saved, args.saveDtype(), req.model().path());
          next = ModelSource.of(saved);
        }
        Map<String, Object> summary = new LinkedHashMap<>(metrics);
        summary.put("trainable_params", trainableCount);
        if (w.quantized()) summary.put("nf4_weight_bytes", w.quantizedBytes());
        if (scaler != null) {
          summary.put("loss_scale", scaler.scale());
          summary.put("skipped_steps", scaler.skippedSteps()); // inf/NaN gradients, fp16
        }
        summary.put("total_steps", total);
        summary.put("resumed_from_step", resumedFrom);
        summary.put("train_runtime", loopSeconds); // the step loop, checkpoints included
        summary.put("train_" + unit, work); // this run's, padding included
        summary.put("checkpoint_seconds", checkpointNanos / 1e9);
        if (lastCheckpoint != null)
          summary.put("checkpoint_bytes", folderBytes(Path.of(lastCheckpoint)));
        listener.summary(summary);
        TrainResult result =
            new TrainResult(req.stage(), out.toString(), next, total, resumedFrom, metrics);
        StageFiles.write(out.resolve(TrainResult.FILE), result);
        return result;
      }
    }
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
