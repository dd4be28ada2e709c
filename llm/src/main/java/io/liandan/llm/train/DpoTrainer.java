package io.liandan.llm.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.optim.GradScaler;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.tensor.Scalars;
import io.liandan.llm.tensor.Scoped;
import io.liandan.spec.PreferenceConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One optimizer step of DPO, top to bottom: set lr → reference log-probs without gradients → policy
 * log-probs → the {@link PreferenceLoss} (TRL's sigmoid by default; any DPOConfig loss_type, or
 * reference-free ORPO/SimPO, which skip the reference), divided over micro-batches → backward →
 * clip → AdamW. The reference is given as a function, so that a LoRA policy's reference is the same
 * weights with the adapter switched off (no second copy) and a fully fine-tuned policy's is a
 * frozen copy. Reports TRL's metrics under TRL's names.
 */
public final class DpoTrainer {
  /**
   * TRL's logged metrics for one step (means over the step's pairs); {@code extra} holds the
   * method's own (ORPO's nll_loss, log_odds_ratio, log_odds_chosen; SimPO's nll_loss).
   */
  public record StepResult(
      double loss,
      double rewardsChosen,
      double rewardsRejected,
      double rewardsAccuracies,
      double rewardsMargins,
      double logpsChosen,
      double logpsRejected,
      double gradNorm,
      double lr,
      Map<String, Double> extra) {
    /** TRL's names ({@code prefix} "" in training, "eval/" on held-out pairs) for the tracker. */
    public Map<String, Double> metrics(String prefix) {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put(prefix.isEmpty() ? "train/loss" : prefix + "loss", loss);
      m.put(prefix + "rewards/chosen", rewardsChosen);
      m.put(prefix + "rewards/rejected", rewardsRejected);
      m.put(prefix + "rewards/accuracies", rewardsAccuracies);
      m.put(prefix + "rewards/margins", rewardsMargins);
      m.put(prefix + "logps/chosen", logpsChosen);
      m.put(prefix + "logps/rejected", logpsRejected);
      extra.forEach((k, v) -> m.put((prefix.isEmpty() ? "train/" : prefix) + k, v));
      return m;
    }

    /** Back from {@link #metrics}("") names, e.g. after averaging several batches' maps. */
    public static StepResult fromMetrics(Map<String, Double> m, double gradNorm, double lr) {
      Map<String, Double> extra = new LinkedHashMap<>();
      m.forEach(
          (k, v) -> {
            if (k.startsWith("train/") && !k.equals("train/loss")) extra.put(k.substring(6), v);
          });
      return new StepResult(
          m.get("train/loss"),
          m.get("rewards/chosen"),
          m.get("rewards/rejected"),
          m.get("rewards/accuracies"),
          m.get("rewards/margins"),
          m.get("logps/chosen"),
          m.get("logps/rejected"),
          gradNorm,
          lr,
          extra);
    }
  }

  /** The reference model of a batch; called without gradients. */
  @FunctionalInterface
  public interface Reference {
    /** (B, T, V) logits. */
    NDArray logits(NDArray ids, NDArray mask);

    /** (B) sequence log-probs of {@code labels}; by default through {@link #logits}, whole. */
    default NDArray logps(NDArray ids, NDArray mask, NDArray labels) {
      return TokenLogps.of(logits(ids, mask), labels).perSequence();
    }

    /**
     * {@code model} with {@code lora} switched off as the reference: the weights LoRA training
     * started from, without a second copy; the head in {@link HeadPieces}.
     */
    static Reference adapterOff(Decoder model, io.liandan.llm.lora.LoraAdapter lora) {
      Reference on = of(model);
      return new Reference() {
        @Override
        public NDArray logits(NDArray ids, NDArray mask) {
          return off(() -> on.logits(ids, mask));
        }

        @Override
        public NDArray logps(NDArray ids, NDArray mask, NDArray labels) {
          return off(() -> on.logps(ids, mask, labels));
        }

        private NDArray off(java.util.function.Supplier<NDArray> run) {
          lora.setEnabled(false);
          try {
            return run.get();
          } finally {
            lora.setEnabled(true);
          }
        }
      };
    }

    /** {@code model} as the reference: its head in {@link HeadPieces}, no (B, T, V) logits. */
    static Reference of(Decoder model) {
      return new Reference() {
        @Override
        public NDArray logits(NDArray ids, NDArray mask) {
          return model.forward(ids, mask, false);
        }

        @Override
        public NDArray logps(NDArray ids, NDArray mask, NDArray labels) {
          return HeadPieces.sequenceLogps(model, model.hidden(ids, mask, false), labels);
        }
      };
    }
  }

  private final Decoder policy;
  private final Reference reference;
  private final Optimization opt;
  private final double beta;
  private GradScaler scaler; // fp16: dynamic loss scaling; null = none
  private boolean checkpointing; // gradient_checkpointing: re-run layers in backward
  private long headPieceFloats = HeadPieces.FLOATS;
  private boolean exactPieces; // tests: exactly headPieceFloats, even where the head trains
  private PreferenceConfig loss;

  public DpoTrainer(Decoder policy, Reference reference, Optimization opt, double beta) {
    this.policy = policy;
    this.reference = reference;
    this.opt = opt;
    this.beta = beta;
    this.loss = PreferenceConfig.sigmoid(beta);
  }

  /**
   * The loss by TRL's names ({@link PreferenceLoss}); a reference-free one (orpo, simpo) never
   * calls the reference, which may then be null.
   */
  public DpoTrainer withLoss(PreferenceConfig loss) {
    this.loss = loss;
    return this;
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
    double lr = opt.lr();
    Map<String, Double> sums = backward(micro, opt.step());
    double norm = opt.apply(scaler, lr);
    return StepResult.fromMetrics(sums, norm, lr);
  }

  /**
   * Forward and backward of optimizer step {@code step}'s micro-batches, without the update: the
   * gradients accumulate in the parameters. Returns the step's metrics by {@link
   * StepResult#metrics}("") names.
   */
  public Map<String, Double> backward(List<PreferenceBatch> micro, long step) {
    return MicroBatchMeans.of(opt.seed(), step, micro, (b, k, n) -> backward(b, step, k, n));
  }

  /** Micro-batch {@code k} of the step's {@code n}: its metrics; the gradients accumulate. */
  private Map<String, Double> backward(PreferenceBatch b, long step, int k, int n) {
    NDArray[] chosen = b.chosen().tensors(policy.manager());
    NDArray[] rejected = b.rejected().tensors(policy.manager());
    boolean refFree = loss.referenceFree();
    NDArray refC = refFree ? null : referenceLogps(chosen);
    NDArray refR = refFree ? null : referenceLogps(rejected);
    NDArray promptLabels = loss.needsPromptLogps() ? promptLabels(b.chosen()) : null;
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      long dropoutSeed = StepSeed.microBatch(opt.seed(), step, 2L * k);
      // the last hidden states (B, T, C): re-run layers' inputs (checkpointing) or a forward
      // whose graph waits for the head's gradient; the head itself runs in pieces either way
      LayerCheckpoints ckC = null, ckR = null;
      NDArray hiddenC, hiddenR;
      if (checkpointing) {
        ckC = LayerCheckpoints.forward(policy, chosen[0], chosen[2], dropoutSeed, true);
        ckR = LayerCheckpoints.forward(policy, rejected[0], rejected[2], dropoutSeed + 1, true);
        hiddenC = ckC.hidden();
        hiddenR = ckR.hidden();
      } else {
        hiddenC = policy.hidden(chosen[0], chosen[2], true);
        hiddenR = policy.hidden(rejected[0], rejected[2], true);
      }
      // (B) the policy's sequence log-probs, leaves that gather the loss's gradient
      SequenceHead head = new SequenceHead(policy, headPieceFloats, exactPieces);
      SequenceHead.Run c = head.run(hiddenC, chosen[1]), r = head.run(hiddenR, rejected[1]);
      SequenceHead.Run p = promptLabels == null ? null : head.run(hiddenC, promptLabels); // ORPO
      NDArray pc = c.logps(), pr = r.logps(), pp = p == null ? null : p.logps();
      PreferenceLoss d = PreferenceLoss.of(loss, inputs(b, pc, pr, refC, refR, pp));
      NDArray l = d.loss().div(Scalars.of(policy.manager(), n));
      gc.backward(GradScaler.scaled(scaler, l));
      NDArray gradC = head.gradient(hiddenC, chosen[1], c);
      NDArray gradR = head.gradient(hiddenR, rejected[1], r);
      if (p != null) gradC = gradC.add(head.gradient(hiddenC, promptLabels, p));
      if (checkpointing) {
        ckC.backward(gradC);
        ckR.backward(gradR);
      } else {
        JniUtils.backward((PtNDArray) hiddenC, (PtNDArray) gradC, false, false);
        JniUtils.backward((PtNDArray) hiddenR, (PtNDArray) gradR, false, false);
      }
      return values(d).metrics("");
    }
  }

  /**
   * TRL's metrics on held-out pairs: no dropout, no gradients, no step. Means over the batch's
   * pairs; grad norm and lr are NaN.
   */
  public StepResult evaluate(PreferenceBatch b) {
    try (NDScope scope = new NDScope();
        NoGrad ng = new NoGrad()) {
      NDArray[] chosen = b.chosen().tensors(policy.manager());
      NDArray[] rejected = b.rejected().tensors(policy.manager());
      NDArray refC = null, refR = null, pp = null;
      if (!loss.referenceFree()) {
        refC = reference.logps(chosen[0], chosen[2], chosen[1]);
        refR = reference.logps(rejected[0], rejected[2], rejected[1]);
      }
      // the head in pieces, as in training: no (B, T, V) logits
      NDArray hiddenC = policy.hidden(chosen[0], chosen[2], false);
      NDArray pc = HeadPieces.sequenceLogps(policy, hiddenC, chosen[1]);
      if (loss.needsPromptLogps()) {
        pp = HeadPieces.sequenceLogps(policy, hiddenC, promptLabels(b.chosen()));
      }
      NDArray pr =
          HeadPieces.sequenceLogps(
              policy, policy.hidden(rejected[0], rejected[2], false), rejected[1]);
      StepResult v = values(PreferenceLoss.of(loss, inputs(b, pc, pr, refC, refR, pp)));
      return v;
    }
  }

  /** The loss's inputs: log-probs plus completion (and ORPO's prompt) token counts per pair. */
  private PreferenceLoss.Inputs inputs(
      PreferenceBatch b, NDArray pc, NDArray pr, NDArray refC, NDArray refR, NDArray pp) {
    NDManager m = pc.getManager();
    NDArray promptCount = null;
    if (pp != null) {
      MicroBatch c = b.chosen();
      float[] n = new float[c.batch()];
      long[] labels = promptLabelArray(c);
      for (int r = 0; r < c.batch(); r++)
        for (int t = 1; t < c.seq(); t++) if (labels[r * c.seq() + t] != TokenLogps.IGNORE) n[r]++;
      promptCount = m.create(n);
    }
    return new PreferenceLoss.Inputs(
        pc, pr, counts(m, b.chosen()), counts(m, b.rejected()), refC, refR, pp, promptCount);
  }

  /** (B) float32 completion tokens per row, after the shift. */
  private static NDArray counts(NDManager m, MicroBatch mb) {
    float[] n = new float[mb.batch()];
    for (int r = 0; r < mb.batch(); r++)
      for (int t = 1; t < mb.seq(); t++)
        if (mb.labels()[r * mb.seq() + t] != TokenLogps.IGNORE) n[r]++;
    return m.create(n);
  }

  /** (B, T) labels on the prompt tokens only (ORPO's NLL also trains the prompt). */
  private NDArray promptLabels(MicroBatch mb) {
    return policy.manager().create(promptLabelArray(mb), new Shape(mb.batch(), mb.seq()));
  }

  private static long[] promptLabelArray(MicroBatch mb) {
    long[] out = new long[mb.ids().length];
    for (int i = 0; i < out.length; i++) {
      boolean real = mb.mask() == null || mb.mask()[i] == 1;
      out[i] = real && mb.labels()[i] == TokenLogps.IGNORE ? mb.ids()[i] : TokenLogps.IGNORE;
    }
    return out;
  }

  /** (B) the reference's sequence log-probs, its (B, T, V) logits freed before returning. */
  private NDArray referenceLogps(NDArray[] batch) {
    try (NoGrad ng = new NoGrad()) {
      return Scoped.keep(() -> reference.logps(batch[0], batch[2], batch[1]));
    }
  }

  /** Tests: a smaller head piece, so that a small model's batch is split too. */
  DpoTrainer headPieceFloats(long floats) {
    this.headPieceFloats = floats;
    this.exactPieces = true;
    return this;
  }

  /** The loss's metrics as numbers (grad norm and lr NaN). */
  private static StepResult values(PreferenceLoss d) {
    Map<String, Double> extra = new LinkedHashMap<>();
    d.extra().forEach((k, v) -> extra.put(k, (double) v.getFloat()));
    return new StepResult(
        d.loss().getFloat(),
        d.rewardsChosen().mean().getFloat(),
        d.rewardsRejected().mean().getFloat(),
        d.accuracy().getFloat(),
        d.margin().getFloat(),
        d.logpsChosen().mean().getFloat(),
        d.logpsRejected().mean().getFloat(),
        Double.NaN,
        Double.NaN,
        extra);
  }
}
