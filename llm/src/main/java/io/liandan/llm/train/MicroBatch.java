package io.liandan.llm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

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

  /** ids, labels and mask (null when unpadded) as (B, T) tensors of {@code m}. */
  public NDArray[] tensors(NDManager m) {
    Shape s = new Shape(batch, seq);
    return new NDArray[] {
      m.create(ids, s), m.create(labels, s), mask == null ? null : m.create(mask, s)
    };
  }

  /** Label tokens that count after transformers' shift (position 0 never has a target). */
  public long countedTokens() {
    long n = 0;
    for (int b = 0; b < batch; b++) {
      for (int t = 1; t < seq; t++) if (labels[b * seq + t] != TokenLogps.IGNORE) n++;
    }
    return n;
  }

  /**
   * Rows right-padded with {@code padId} to the longest: labels are the ids where {@code trained}
   * is 1 and -100 elsewhere (and on padding); the attention mask is null when no row is padded.
   */
  public static MicroBatch padded(List<int[]> rows, List<byte[]> trained, int padId) {
    int B = rows.size(), T = 0;
    for (int[] r : rows) T = Math.max(T, r.length);
    long[] ids = new long[B * T], labels = new long[B * T], mask = new long[B * T];
    java.util.Arrays.fill(ids, padId);
    java.util.Arrays.fill(labels, TokenLogps.IGNORE);
    boolean anyPadding = false;
    for (int b = 0; b < B; b++) {
      int[] r = rows.get(b);
      byte[] t = trained.get(b);
      for (int i = 0; i < r.length; i++) {
        ids[b * T + i] = r[i];
        labels[b * T + i] = t[i] == 1 ? r[i] : TokenLogps.IGNORE;
        mask[b * T + i] = 1;
      }
      anyPadding |= r.length < T;
    }
    return new MicroBatch(B, T, ids, labels, anyPadding ? mask : null);
  }
}
