package io.liandan.llm.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.optim.GradScaler;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.tensor.Scalars;
import io.liandan.llm.tensor.Scoped;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One optimizer step of KTO, as TRL's KTOTrainer: the mismatched rows' log-probs under policy and
 * reference without gradients (the KL estimate), the reference's log-probs of the examples, then
 * the policy's with gradients → {@link KtoLoss} (mean over rows, divided over micro-batches) →
 * backward → clip → AdamW. Logs TRL's names: loss, {@code kl}, rewards/logps per label, margins.
 *
 * @param scaler fp16's dynamic loss scaling (steps whose gradients overflow are skipped), or null
 * @param checkpointing gradient_checkpointing: the policy's layers re-run in backward ({@link
 *     LayerCheckpoints}); the KL and reference passes keep no graph either way
 */
public record KtoTrainer(
    Decoder policy,
    DpoTrainer.Reference reference,
    Optimization opt,
    KtoLoss.Weights weights,
    GradScaler scaler,
    boolean checkpointing) {

  /** float32, without checkpointing. */
  public KtoTrainer(
      Decoder policy, DpoTrainer.Reference reference, Optimization opt, KtoLoss.Weights weights) {
    this(policy, reference, opt, weights, null, false);
  }

  /**
   * One step; the metrics by TRL's names plus {@code train/grad_norm} (NaN: skipped) and the lr.
   */
  public Map<String, Double> step(List<KtoBatch> micro) {
    double lr = opt.lr();
    Map<String, Double> m = backward(micro, opt.step());
    m.put("train/grad_norm", opt.apply(scaler, lr));
    m.put("train/learning_rate", lr);
    return m;
  }

  /** Forward and backward without the update; gradients accumulate in the parameters. */
  public Map<String, Double> backward(List<KtoBatch> micro, long step) {
    return MicroBatchMeans.of(opt.seed(), step, micro, (b, k, n) -> backward(b, step, k, n));
  }

  /** Micro-batch {@code k} of the step's {@code n}: its metrics; the gradients accumulate. */
  private Map<String, Double> backward(KtoBatch b, long step, int k, int n) {
    NDManager mg = policy.manager();
    NDArray[] ex = b.examples().tensors(mg), kl = b.mismatched().tensors(mg);
    NDArray klPolicy = logps(kl, true), klRef = logps(kl, false), ref = logps(ex, false);
    NDArray desirable = mg.create(b.desirable());
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      // the last hidden state (B, T, C): the re-run layers' inputs (checkpointing) or a forward
      // whose graph waits for the head's gradient; the head runs in pieces either way, so the
      // (B, T, V) logits never exist whole
      LayerCheckpoints ck =
          checkpointing
              ? LayerCheckpoints.forward(
                  policy, ex[0], ex[2], StepSeed.microBatch(opt.seed(), step, k), true)
              : null;
      NDArray hidden = ck != null ? ck.hidden() : policy.hidden(ex[0], ex[2], true);
      SequenceHead head = new SequenceHead(policy, HeadPieces.FLOATS, false);
      SequenceHead.Run run = head.run(hidden, ex[1]);
      NDArray pol = run.logps(); // (B)
      KtoLoss l = KtoLoss.of(pol, ref, desirable, klPolicy, klRef, weights);
      gc.backward(GradScaler.scaled(scaler, l.loss().div(Scalars.of(mg, n))));
      NDArray grad = head.gradient(hidden, ex[1], run);
      if (ck != null) ck.backward(grad);
      else JniUtils.backward((PtNDArray) hidden, (PtNDArray) grad, false, false);
      NDArray undesirable = Scalars.of(mg, 1).sub(desirable);
      Map<String, Double> v = new LinkedHashMap<>();
      v.put("train/loss", (double) l.loss().getFloat());
      v.put("train/kl", (double) l.kl().getFloat());
      double rc = KtoLoss.maskedMean(l.rewards(), desirable);
      double rr = KtoLoss.maskedMean(l.rewards(), undesirable);
      v.put("rewards/chosen", rc);
      v.put("rewards/rejected", rr);
      v.put("rewards/margins", rc - rr);
      v.put("logps/chosen", KtoLoss.maskedMean(pol, desirable));
      v.put("logps/rejected", KtoLoss.maskedMean(pol, undesirable));
      return v;
    }
  }

  /**
   * Sums over one held-out batch, to be added up over batches and divided as TRL's KTOTrainer does
   * for its logged means: per label for rewards and log-probs, per example for loss and kl.
   */
  public record EvalSums(
      double loss,
      double kl,
      int examples,
      double rewardsChosen,
      double rewardsRejected,
      double logpsChosen,
      double logpsRejected,
      int chosen,
      int rejected) {}

  /** TRL's KTO metrics on a held-out batch: no dropout, no gradients, no step. */
  public EvalSums evaluate(KtoBatch b) {
    try (NDScope scope = new NDScope();
        NoGrad ng = new NoGrad()) {
      NDManager mg = policy.manager();
      NDArray[] ex = b.examples().tensors(mg), kl = b.mismatched().tensors(mg);
      NDArray desirable = mg.create(b.desirable());
      NDArray undesirable = Scalars.of(mg, 1).sub(desirable);
      NDArray pol = logps(ex, true), ref = logps(ex, false);
      KtoLoss l = KtoLoss.of(pol, ref, desirable, logps(kl, true), logps(kl, false), weights);
      int n = b.desirable().length, chosen = 0;
      for (float d : b.desirable()) chosen += d == 1 ? 1 : 0;
      return new EvalSums(
          l.loss().getFloat() * n,
          l.kl().getFloat() * n,
          n,
          l.rewards().mul(desirable).sum().getFloat(),
          l.rewards().mul(undesirable).sum().getFloat(),
          pol.mul(desirable).sum().getFloat(),
          pol.mul(undesirable).sum().getFloat(),
          chosen,
          n - chosen);
    }
  }

  /** (B) sequence log-probs without gradients, under the policy or the reference. */
  private NDArray logps(NDArray[] t, boolean underPolicy) {
    try (NoGrad ng = new NoGrad()) {
      return Scoped.keep(
          () ->
              underPolicy
                  ? HeadPieces.sequenceLogps(policy, policy.hidden(t[0], t[2], false), t[1])
                  : reference.logps(t[0], t[2], t[1]));
    }
  }
}
