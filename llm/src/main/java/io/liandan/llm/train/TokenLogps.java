package io.liandan.llm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Log-probabilities of the label tokens under the logits, with transformers' shift (logits at t
 * predict labels at t+1) and label -100 ignored. The causal-LM loss and DPO's sequence
 * log-probabilities are both sums over this.
 */
public final class TokenLogps {
  public static final long IGNORE = -100;

  /** (B, T-1) log p(label), zero where ignored. */
  public final NDArray logps;

  /** (B, T-1) 1 where the label counts, else 0, float32. */
  public final NDArray valid;

  private TokenLogps(NDArray logps, NDArray valid) {
    this.logps = logps;
    this.valid = valid;
  }

  /**
   * @param logits (B, T, V)
   * @param labels (B, T) int64, -100 = ignored
   */
  public static TokenLogps of(NDArray logits, NDArray labels) {
    NDArray lg = logits.get(":, :-1, :"); // (B, T-1, V)
    NDArray target = labels.get(":, 1:"); // (B, T-1)
    NDArray keep = target.neq(IGNORE);
    NDArray safe = target.mul(keep.toType(DataType.INT64, false)); // -100 -> 0, any index works
    NDArray valid = keep.toType(DataType.FLOAT32, false);
    NDArray lp = lg.logSoftmax(-1).gather(safe.expandDims(-1), 2).squeeze(-1); // (B, T-1)
    return new TokenLogps(lp.mul(valid), valid);
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
