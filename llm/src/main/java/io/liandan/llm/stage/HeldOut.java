package io.liandan.llm.stage;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.liandan.llm.data.tokenize.TokenShards;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.train.DpoTrainer;
import io.liandan.llm.train.HeadPieces;
import io.liandan.llm.train.KtoTrainer;
import io.liandan.llm.train.MicroBatch;
import io.liandan.llm.train.ShardBatches;
import io.liandan.llm.train.TokenLogps;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Metrics on a held-out split: token-level loss and perplexity (exp of the mean token loss, as
 * run_clm reports it) for PT/SFT shards; TRL's DPO metrics, averaged over pairs, for DPO shards;
 * TRL's KTO metrics (per label) for KTO shards. Names carry the {@code eval/} prefix, as wandb
 * shows Trainer's eval_ keys.
 */
final class HeldOut {
  private HeldOut() {}

  static Map<String, Double> causalLm(Decoder model, TokenShards eval, int batchSize) {
    ShardBatches batches = ShardBatches.inOrder(eval, batchSize, 0, false);
    double sum = 0;
    long count = 0;
    NDManager m = model.manager();
    for (long b = 0; b < batches.batchesPerEpoch(); b++) {
      MicroBatch mb = batches.next();
      try (NDScope scope = new NDScope();
          NoGrad ng = new NoGrad()) {
        Shape s = new Shape(mb.batch(), mb.seq());
        NDArray mask = mb.mask() == null ? null : m.create(mb.mask(), s);
        NDArray labels = m.create(mb.labels(), s);
        NDArray hidden = model.hidden(m.create(mb.ids(), s), mask, false);
        // the head in pieces: an eval batch's (B, T, V) logits never exist whole
        sum -= HeadPieces.sequenceLogps(model, hidden, labels).sum().getFloat();
        count += (long) TokenLogps.validOf(labels).sum().getFloat();
      }
    }
    double loss = sum / Math.max(count, 1);
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("eval/loss", loss);
    out.put("eval/perplexity", Math.exp(loss));
    out.put("eval/tokens", (double) count);
    return out;
  }

  /** TRL's KTO metrics over the held-out examples, each mismatched within its batch. */
  static Map<String, Double> kto(KtoTrainer trainer, TokenShards eval, int batchSize) {
    ShardBatches batches = ShardBatches.inOrder(eval, batchSize, 0, true);
    double loss = 0, kl = 0, rc = 0, rr = 0, lc = 0, lr = 0;
    long n = 0, nc = 0, nr = 0;
    for (long b = 0; b < batches.batchesPerEpoch(); b++) {
      KtoTrainer.EvalSums e = trainer.evaluate(batches.nextKto());
      loss += e.loss();
      kl += e.kl();
      rc += e.rewardsChosen();
      rr += e.rewardsRejected();
      lc += e.logpsChosen();
      lr += e.logpsRejected();
      n += e.examples();
      nc += e.chosen();
      nr += e.rejected();
    }
    Map<String, Double> out = new LinkedHashMap<>();
    if (n > 0) {
      out.put("eval/loss", loss / n);
      out.put("eval/kl", kl / n);
    }
    if (nc > 0) {
      out.put("eval/rewards/chosen", rc / nc);
      out.put("eval/logps/chosen", lc / nc);
    }
    if (nr > 0) {
      out.put("eval/rewards/rejected", rr / nr);
      out.put("eval/logps/rejected", lr / nr);
    }
    if (nc > 0 && nr > 0) out.put("eval/rewards/margins", rc / nc - rr / nr);
    out.put("eval/examples", (double) n);
    return out;
  }

  static Map<String, Double> dpo(DpoTrainer trainer, TokenShards eval, int batchSize) {
    ShardBatches batches = ShardBatches.inOrder(eval, batchSize, 0, true);
    Map<String, Double> sums = new LinkedHashMap<>(); // each metric weighted by its batch's pairs
    long pairs = 0;
    for (long b = 0; b < batches.batchesPerEpoch(); b++) {
      var batch = batches.nextPairs();
      int n = batch.chosen().batch();
      trainer.evaluate(batch).metrics("").forEach((k, v) -> sums.merge(k, v * n, Double::sum));
      pairs += n;
    }
    long total = Math.max(pairs, 1);
    sums.replaceAll((k, v) -> v / total);
    Map<String, Double> out = new LinkedHashMap<>();
    if (pairs > 0)
      DpoTrainer.StepResult.fromMetrics(sums, Double.NaN, Double.NaN)
          .metrics("eval/")
          .forEach(out::put);
    out.put("eval/pairs", (double) pairs);
    return out;
  }
}
