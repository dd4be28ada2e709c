package io.liandan.llm.train;

import java.util.List;

/**
 * A DPO micro-batch: the chosen and the rejected sequences (prompt ‖ reply each, labels -100 on the
 * prompt and on padding), as two causal-LM batches of the same pairs in the same order.
 */
public record PreferenceBatch(MicroBatch chosen, MicroBatch rejected) {
  public PreferenceBatch {
    if (chosen.batch() != rejected.batch()) {
      throw new IllegalArgumentException("chosen and rejected must hold the same pairs");
    }
  }

  /** Pairs from (prompt, chosen, rejected) id arrays, right-padded with {@code padId}. */
  public static PreferenceBatch of(List<int[][]> pairs, int padId) {
    return new PreferenceBatch(side(pairs, 1, padId), side(pairs, 2, padId));
  }

  private static MicroBatch side(List<int[][]> pairs, int which, int padId) {
    int B = pairs.size(), T = 0;
    for (int[][] p : pairs) T = Math.max(T, p[0].length + p[which].length);
    long[] ids = new long[B * T], labels = new long[B * T], mask = new long[B * T];
    java.util.Arrays.fill(ids, padId);
    java.util.Arrays.fill(labels, TokenLogps.IGNORE);
    for (int b = 0; b < B; b++) {
      int[] prompt = pairs.get(b)[0], reply = pairs.get(b)[which];
      for (int t = 0; t < prompt.length + reply.length; t++) {
        long id = t < prompt.length ? prompt[t] : reply[t - prompt.length];
        ids[b * T + t] = id;
        mask[b * T + t] = 1;
        if (t >= prompt.length) labels[b * T + t] = id;
      }
    }
    return new MicroBatch(B, T, ids, labels, mask);
  }
}
