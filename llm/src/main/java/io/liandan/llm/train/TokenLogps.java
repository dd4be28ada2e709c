package io.liandan.llm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Log-probabilities of the label tokens under the logits, with transformers' shift (logits at t
 * predict labels at t+1) and label -100 ignored. The causal-LM loss and DPO's sequence
 * log-probabilities are both sums over this.
 *
 * @param logps (B, T) log p(next label) at each position, zero where ignored (always the last)
 * @param valid (B, T) 1 where the next label counts, else 0, float32
 */
public record TokenLogps(NDArray logps, NDArray valid) {
  public static final long IGNORE = -100;

  /**
   * @param logits (B, T, V)
   * @param labels (B, T) int64, -100 = ignored
   */
  public static TokenLogps of(NDArray logits, NDArray labels) {
    // shift the labels, not the logits: slicing (B, T, V) would copy it, and its backward would
    // fill another (B, T, V) with zeros; the last position gets no target instead
    return ofTargets(logits, targets(labels));
  }

  /**
   * (B, T) the label each position predicts: the next one, -100 at the end; pieces of a batch
   * ({@link HeadPieces}) take their targets from this, so a span's last position still has one.
   */
  public static NDArray targets(NDArray labels) {
    return shifted(labels);
  }

  /**
   * @param logits (b, t, V), any piece of a batch
   * @param target (b, t) int64 from {@link #targets}, the same piece
   */
  public static TokenLogps ofTargets(NDArray logits, NDArray target) {
    NDArray keep = target.neq(IGNORE);
    NDArray safe = target.mul(keep.toType(DataType.INT64, false)); // -100 -> 0, any index works
    NDArray valid = keep.toType(DataType.FLOAT32, false);
    NDArray lp = logits.logSoftmax(-1).gather(safe.expandDims(-1), 2).squeeze(-1); // (B, T)
    return new TokenLogps(lp.mul(valid), valid);
  }

  /**
   * (B, T) float32 1 where {@code labels}' next label counts: the {@link #valid()} of any logits.
   */
  public static NDArray validOf(NDArray labels) {
    return shifted(labels).neq(IGNORE).toType(DataType.FLOAT32, false);
  }

  /** (B) sum of the log-probabilities where {@code valid} (from {@link #validOf}) is 1. */
  public NDArray perSequence(NDArray valid) {
    return logps.mul(valid).sum(new int[] {1});
  }

  private static NDArray shifted(NDArray labels) {
    long B = labels.getShape().get(0);
    return labels
        .get(":, 1:")
        .concat(labels.getManager().full(new Shape(B, 1), IGNORE, DataType.INT64), 1);
  }

  /** Mean negative log-likelihood over counted tokens: transformers' causal-LM loss. */
  public NDArray meanLoss() {
    return logps.sum().neg().div(valid.sum());
  }

  /** Summed negative log-likelihood (for gradient accumulation over a token count). */
  public NDArray sumLoss() {
    return logps.sum().neg();
  }

  /** (B) sum of log-probabilities per sequence (DPO's logps). */
  public NDArray perSequence() {
    return logps.sum(new int[] {1});
  }

  /** Number of counted label tokens. */
  public long count() {
    return (long) valid.sum().getFloat();
  }
}
