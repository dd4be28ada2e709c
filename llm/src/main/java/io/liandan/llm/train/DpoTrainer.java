package io.liandan.llm.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.liandan.llm.model.NoGrad;
import io.liandan.llm.model.Qwen2Model;
import io.liandan.llm.model.Scalars;
import io.liandan.llm.model.Scoped;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.GradScaler;
import io.liandan.llm.optim.LrSchedule;
import java.util.List;

/**
 * One optimizer step of DPO, top to bottom: set lr → reference log-probs without gradients → policy
 * log-probs → TRL's sigmoid loss (mean over pairs, divided over micro-batches) → backward → clip →
 * AdamW. The reference is given as a function, so that a LoRA policy's reference is the same
 * weights with the adapter switched off (no second copy) and a fully fine-tuned policy's is a
 * frozen copy. Reports TRL's metrics under TRL's names.
 */
public final class DpoTrainer {
  /** TRL's logged metrics for one step (means over the step's pairs). */
  public record StepResult(
      double loss,
      double rewardsChosen,
      double rewardsRejected,
      double rewardsAccuracies,
      double rewardsMargins,
      double logpsChosen,
      double logpsRejected,
      double gradNorm,
      double lr) {
    /** TRL's names ({@code prefix} "" in training, "eval/" on held-out pairs) for the tracker. */
    public java.util.Map<String, Double> metrics(String prefix) {
      java.util.Map<String, Double> m = new java.util.LinkedHashMap<>();
      m.put(prefix.isEmpty() ? "train/loss" : prefix + "loss", loss);
      m.put(prefix + "rewards/chosen", rewardsChosen);
      m.put(prefix + "rewards/rejected", rewardsRejected);
      m.put(prefix + "rewards/accuracies", rewardsAccuracies);
      m.put(prefix + "rewards/margins", rewardsMargins);
      m.put(prefix + "logps/chosen", logpsChosen);
      m.put(prefix + "logps/rejected", logpsRejected);
      return m;
    }
  }

  /** Computes the reference model's logits for a batch; called without gradients. */
  @FunctionalInterface
  public interface Reference {
    NDArray logits(NDArray ids, NDArray mask);
  }

  private final Qwen2Model policy;
  private final Reference reference;
  private final AdamW optimizer;
  private final LrSchedule schedule;
  private final double baseLr, maxGradNorm, beta;
  private final long seed;
  private GradScaler scaler; // fp16: dynamic loss scaling; null = none
  private boolean checkpointing; // gradient_checkpointing: re-run layers in backward
  private long headPieceFloats = LayerCheckpoints.HEAD_PIECE_FLOATS;

  public DpoTrainer(
      Qwen2Model policy,
      Reference reference,
      AdamW optimizer,
      LrSchedule schedule,
      double baseLr,
      double maxGradNorm,
      double beta,
      long seed) {
    this.policy = policy;
    this.reference = reference;
    this.optimizer = optimizer;
    this.schedule = schedule;
    this.baseLr = baseLr;
    this.maxGradNorm = maxGradNorm;
    this.beta = beta;
    this.seed = seed;
  }

  /** fp16: scale the loss before backward and skip steps whose gradients overflow. */
  public DpoTrainer withLossScaling(GradScaler scaler) {
    this.scaler = scaler;
    return this;
  }

  /** gradient_checkpointing: the policy's layers re-run in backward ({@link LayerCheckpoints}). */
  public DpoTrainer withGradientCheckpointing(boolean on) {
    this.checkpointing = on;
    return this;
  }

  public StepResult step(List<PreferenceBatch> micro) {
    StepSeed.apply(seed, optimizer.stepCount());
    double lr = schedule.lr(baseLr, optimizer.stepCount());
    double[] sums = new double[7]; // loss, rc, rr, acc, margin, lc, lr
    for (int k = 0; k < micro.size(); k++) {
      PreferenceBatch b = micro.get(k);
      try (NDScope scope = new NDScope()) {
        NDArray[] chosen = tensors(b.chosen()), rejected = tensors(b.rejected());
        NDArray refC = referenceLogps(chosen), refR = referenceLogps(rejected);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          long dropoutSeed = StepSeed.microBatch(seed, optimizer.stepCount(), 2L * k);
          LayerCheckpoints ckC =
              checkpointing
                  ? LayerCheckpoints.forward(policy, chosen[0], chosen[2], dropoutSeed, true)
                  : null;
          LayerCheckpoints ckR =
              checkpointing
                  ? LayerCheckpoints.forward(
                      policy, rejected[0], rejected[2], dropoutSeed + 1, true)
                  : null;
          NDArray pc, pr; // (B) the policy's sequence log-probs
          if (checkpointing) { // from the last hidden state, a few sequences at a time
            pc = headLogps(ckC.hidden(), chosen[1]);
            pr = headLogps(ckR.hidden(), rejected[1]);
          } else {
            pc = TokenLogps.of(policy.forward(chosen[0], chosen[2], true), chosen[1]).perSequence();
            pr =
                TokenLogps.of(policy.forward(rejected[0], rejected[2], true), rejected[1])
                    .perSequence();
          }
          DpoLoss d = DpoLoss.sigmoid(pc, pr, refC, refR, beta);
          NDArray l = d.loss().div(Scalars.of(policy.manager(), micro.size()));
          gc.backward(GradScaler.scaled(scaler, l));
          if (checkpointing) {
            headBackward(ckC.hidden(), chosen[1], pc.getGradient());
            headBackward(ckR.hidden(), rejected[1], pr.getGradient());
            ckC.backward();
            ckR.backward();
          }
          double[] v = values(d, pc, pr);
          for (int i = 0; i < v.length; i++) sums[i] += v[i] / micro.size();
        }
      }
    }
    double norm = GradScaler.optimizerStep(scaler, optimizer, maxGradNorm, lr);
    return new StepResult(sums[0], sums[1], sums[2], sums[3], sums[4], sums[5], sums[6], norm, lr);
  }

  /**
   * TRL's metrics on held-out pairs: no dropout, no gradients, no step. Means over the batch's
   * pairs; grad norm and lr are NaN.
   */
  public StepResult evaluate(PreferenceBatch b) {
    try (NDScope scope = new NDScope();
        NoGrad ng = new NoGrad()) {
      NDArray[] chosen = tensors(b.chosen()), rejected = tensors(b.rejected());
      NDArray refC = TokenLogps.of(reference.logits(chosen[0], chosen[2]), chosen[1]).perSequence();
      NDArray refR =
          TokenLogps.of(reference.logits(rejected[0], rejected[2]), rejected[1]).perSequence();
      NDArray pc =
          TokenLogps.of(policy.forward(chosen[0], chosen[2], false), chosen[1]).perSequence();
      NDArray pr =
          TokenLogps.of(policy.forward(rejected[0], rejected[2], false), rejected[1]).perSequence();
      double[] v = values(DpoLoss.sigmoid(pc, pr, refC, refR, beta), pc, pr);
      return new StepResult(v[0], v[1], v[2], v[3], v[4], v[5], v[6], Double.NaN, Double.NaN);
    }
  }

  /** (B) the reference's sequence log-probs, its (B, T, V) logits freed before returning. */
  private NDArray referenceLogps(NDArray[] batch) {
    try (NoGrad ng = new NoGrad()) {
      return Scoped.keep(
          () -> TokenLogps.of(reference.logits(batch[0], batch[2]), batch[1]).perSequence());
    }
  }

  /**
   * (B) sequence log-probs from the last hidden state (B, T, C), a piece of sequences at a time
   * without a graph: a leaf that gathers the loss's gradient for {@link #headBackward}. The DPO
   * loss needs every sequence's log-prob before any gradient exists, so the head runs twice.
   */
  private NDArray headLogps(NDArray hidden, NDArray labels) {
    NDList pieces = new NDList();
    try (NoGrad ng = new NoGrad()) {
      for (String at : LayerCheckpoints.pieces(hidden, policy.config(), headPieceFloats)) {
        pieces.add(
            Scoped.keep(
                () -> TokenLogps.of(policy.head(hidden.get(at)), labels.get(at)).perSequence()));
      }
    }
    NDArray all = NDArrays.concat(pieces);
    all.setRequiresGradient(true);
    return all;
  }

  /** Re-runs the head piece by piece with autograd on and backpropagates {@code grad} (B). */
  private void headBackward(NDArray hidden, NDArray labels, NDArray grad) {
    for (String at : LayerCheckpoints.pieces(hidden, policy.config(), headPieceFloats)) {
      try (NDScope scope = new NDScope()) {
        NDArray lp = TokenLogps.of(policy.head(hidden.get(at)), labels.get(at)).perSequence();
        JniUtils.backward((PtNDArray) lp, (PtNDArray) grad.get(at), false, false);
      }
    }
  }

  /** Tests: a smaller head piece, so that a small model's batch is split too. */
  DpoTrainer headPieceFloats(long floats) {
    this.headPieceFloats = floats;
    return this;
  }

  private static double[] values(DpoLoss d, NDArray pc, NDArray pr) {
    return new double[] {
      d.loss().getFloat(),
      d.rewardsChosen().mean().getFloat(),
      d.rewardsRejected().mean().getFloat(),
      d.accuracy().getFloat(),
      d.margin().getFloat(),
      pc.mean().getFloat(),
      pr.mean().getFloat()
    };
  }

  /** ids, labels, mask (null when unpadded) on the policy's device. */
  private NDArray[] tensors(MicroBatch mb) {
    NDManager m = policy.manager();
    Shape s = new Shape(mb.batch(), mb.seq());
    return new NDArray[] {
      m.create(mb.ids(), s),
      m.create(mb.labels(), s),
      mb.mask() == null ? null : m.create(mb.mask(), s)
    };
  }
}
