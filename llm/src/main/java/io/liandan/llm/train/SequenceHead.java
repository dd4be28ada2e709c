package io.liandan.llm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.tensor.NoGrad;

/**
 * A policy's sequence log-probs from its last hidden state (with its graph, or a checkpointed leaf:
 * the head never backpropagates into it, each pass takes a detached leaf of its own), the head in
 * {@link HeadPieces}, for losses over whole sequences (DPO, ORPO, SimPO, KTO), which need every
 * sequence's log-prob before any gradient exists. {@link #run} gives the (B) log-probs as a leaf
 * for the loss; after the loss's backward, {@link #gradient} gives the gradient at the hidden
 * state, (B, T, C), for the layers.
 *
 * <p>With a frozen head (LoRA, Q-LoRA: the lm_head and final norm do not train), one pass: each
 * piece's log-probs with a graph, backpropagated at once into a leaf of their own, so that the
 * loss's gradient later only scales them — one head forward and one backward, as without pieces.
 * With a head that trains, its weight's gradient must carry the loss's coefficients, which no piece
 * knows yet: log-probs without a graph first, the head re-run with them afterwards.
 */
final class SequenceHead {
  private final Decoder policy;
  private final long floats; // logits a piece holds

  /** {@code floats}: as {@link HeadPieces#floats} gives them; {@code exact}: tests. */
  SequenceHead(Decoder policy, long floats, boolean exact) {
    this.policy = policy;
    this.floats = HeadPieces.floats(policy, floats, exact);
  }

  /** One side's run: (B) log-probs, a leaf; with a frozen head, d logp_b / d h_(b,t) (B, T, C). */
  record Run(NDArray logps, NDArray grad) {}

  Run run(NDArray hidden, NDArray labels) {
    if (headTrains()) {
      NDArray all = HeadPieces.sequenceLogps(policy, hidden, labels, floats);
      all.setRequiresGradient(true);
      return new Run(all, null);
    }
    long B = hidden.getShape().get(0), T = hidden.getShape().get(1);
    NDArray target = TokenLogps.targets(labels), leaf = detachedLeaf(hidden);
    NDArray all = hidden.getManager().zeros(new Shape(B));
    for (HeadPieces.Piece piece : HeadPieces.of(B, T, vocab(), floats)) {
      try (NDScope scope = new NDScope()) {
        NDArray lp = HeadPieces.logps(policy, leaf, target, piece);
        // each position belongs to one sequence: d(Σ lp)/d leaf is d lp_b / d h_(b,t)
        JniUtils.backward((PtNDArray) lp, (PtNDArray) lp.onesLike(), false, false);
        try (NoGrad ng = new NoGrad()) {
          all.set(piece.rows(), all.get(piece.rows()).add(lp)); // a span adds to its sequence
        }
      }
    }
    all.setRequiresGradient(true);
    return new Run(all, leaf.getGradient());
  }

  /** After the loss's backward: its gradient at the last hidden state (B, T, C). */
  NDArray gradient(NDArray hidden, NDArray labels, Run run) {
    NDArray coef = run.logps().getGradient(); // (B) dLoss / d log-prob
    if (run.grad() != null) return run.grad().mul(coef.reshape(coef.getShape().get(0), 1, 1));
    NDArray leaf = detachedLeaf(hidden); // the head re-run: its weights take the gradient too
    long B = hidden.getShape().get(0), T = hidden.getShape().get(1);
    NDArray target = TokenLogps.targets(labels);
    for (HeadPieces.Piece piece : HeadPieces.of(B, T, vocab(), floats)) {
      try (NDScope scope = new NDScope()) {
        NDArray lp = HeadPieces.logps(policy, leaf, target, piece);
        // d(sequence log-prob)/d(piece) = 1: the piece's rows take their sequences' gradient
        JniUtils.backward((PtNDArray) lp, (PtNDArray) coef.get(piece.rows()), false, false);
      }
    }
    return leaf.getGradient();
  }

  /** {@code hidden} without its graph, as a leaf that gathers the head's gradient. */
  private static NDArray detachedLeaf(NDArray hidden) {
    NDArray top = hidden.stopGradient();
    top.setRequiresGradient(true);
    return top;
  }

  /** Whether the lm_head or the final norm trains (full fine-tuning). */
  private boolean headTrains() {
    return JniUtils.requiresGrad((PtNDArray) policy.weights().lmHead())
        || JniUtils.requiresGrad((PtNDArray) policy.weights().get("model.norm.weight"));
  }

  private long vocab() {
    return policy.config().vocabSize();
  }
}
