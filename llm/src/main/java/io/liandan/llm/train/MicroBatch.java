package io.liandan.llm.train;

/**
 * One micro-batch on the host: (B, T) row-major ids, labels (-100 = no loss) and attention mask
 * (null = all real). Tensors are made from it inside the step's scope, so nothing outlives a step.
 */
public record MicroBatch(int batch, int seq, long[] ids, long[] labels, long[] mask) {
  public MicroBatch {
    if (ids.length != (long) batch * seq
        || labels.length != ids.length
        || (mask != null && mask.length != ids.length)) {
      throw new IllegalArgumentException(
          "micro-batch arrays must all hold batch × seq = " + batch * seq + " values");
    }
  }

  /** Label tokens that count after transformers' shift (position 0 never has a target). */
  public long countedTokens() {
    long n = 0;
    for (int b = 0; b < batch; b++) {
      for (int t = 1; t < seq; t++) if (labels[b * seq + t] != TokenLogps.IGNORE) n++;
    }
    return n;
  }
}
