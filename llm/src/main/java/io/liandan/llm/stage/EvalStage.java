package io.liandan.llm.stage;

import ai.djl.ndarray.NDManager;
import io.liandan.llm.data.tokenize.TokenizeManifest;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.train.DpoTrainer;
import io.liandan.llm.train.KtoLoss;
import io.liandan.llm.train.KtoTrainer;
import io.liandan.llm.train.Optimization;
import io.liandan.spec.EvalRequest;
import io.liandan.spec.TrainingArgs;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Held-out metrics and sample generations for one model: per tokenized folder, loss and perplexity
 * (pt, sft) or TRL's reward metrics against the reference (dpo, kto), named {@code eval/<kind>/…};
 * then the generations table labelled with the request's label. Writes eval.json last; a second run
 * returns it.
 */
public final class EvalStage {
  public EvalResult run(EvalRequest req, StageListener listener) {
    Path out = Path.of(req.out());
    Optional<EvalResult> done = StageFiles.read(out.resolve(EvalResult.FILE), EvalResult.class);
    if (done.isPresent()) return done.get();
    TrainingArgs args = req.args();
    Devices.resolve(req.device()); // a bad device or a missing GPU fails before any work
    boolean needsReference = false, chat = req.tokenized().isEmpty();
    for (String t : req.tokenized()) {
      String kind = TokenizeManifest.read(Path.of(t)).kind();
      needsReference |= kind.equals("dpo") || kind.equals("kto");
      chat |= !kind.equals("pt");
    }
    if (needsReference && req.reference() == null)
      throw new IllegalArgumentException(
          "eval: DPO and KTO data need the reference model (the DPO or KTO stage's start)");
    try (NDManager m = ModelLoader.manager(req.device());
        DecoderWeights w = ModelLoader.load(req.model(), m, args.seed(), args.frozenBf16());
        DecoderWeights ref =
            needsReference
                ? ModelLoader.load(req.reference(), m, args.seed(), args.frozenBf16())
                : null) {
      Decoder model = new Decoder(w);
      // DPO and KTO data are scored against the reference, by trainers that never step
      DpoTrainer.Reference reference =
          ref == null ? null : DpoTrainer.Reference.of(new Decoder(ref));
      Optimization scoring = Optimization.scoringOnly(args.seed());
      Map<String, Double> metrics = new LinkedHashMap<>();
      for (String t : req.tokenized()) {
        Path dir = Path.of(t);
        TokenizeManifest manifest = TokenizeManifest.read(dir);
        if (manifest.splits().get("eval").samples() == 0) continue;
        Map<String, Double> v;
        if (manifest.kind().equals("dpo")) {
          DpoTrainer scorer =
              new DpoTrainer(model, reference, scoring, args.beta())
                  .withLoss(args.preferenceLoss());
          v = HeldOut.dpo(scorer, manifest.open(dir, "eval"), args.perDeviceEvalBatchSize());
        } else if (manifest.kind().equals("kto")) {
          KtoTrainer scorer = new KtoTrainer(model, reference, scoring, KtoLoss.Weights.of(args));
          v = HeldOut.kto(scorer, manifest.open(dir, "eval"), args.perDeviceEvalBatchSize());
        } else {
          v = HeldOut.causalLm(model, manifest.open(dir, "eval"), args.perDeviceEvalBatchSize());
        }
        v.forEach(
            (k, x) -> metrics.put(k.replaceFirst("^eval/", "eval/" + manifest.kind() + "/"), x));
      }
      listener.metrics(0, metrics);
      List<Map<String, Object>> samples =
          new SampleGenerations(req.model().path(), chat, args.maxNewTokens(), args.seed())
              .generate(model, req.samplePrompts(), req.label());
      listener.samples(SampleGenerations.TABLE, 0, samples);
      listener.summary(new LinkedHashMap<>(metrics));
      EvalResult result = new EvalResult(out.toString(), metrics, samples);
      StageFiles.write(out.resolve(EvalResult.FILE), result);
      return result;
    }
  }
}
