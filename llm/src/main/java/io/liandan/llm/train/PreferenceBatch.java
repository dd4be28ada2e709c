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

  /** prompt ‖ reply per pair; only the reply is trained. */
  static MicroBatch side(List<int[][]> pairs, int which, int padId) {
    List<int[]> rows = new java.util.ArrayList<>(pairs.size());
    List<byte[]> trained = new java.util.ArrayList<>(pairs.size());
    for (int[][] p : pairs) {
      int[] prompt = p[0], reply = p[which];
      int[] row = java.util.Arrays.copyOf(prompt, prompt.length + reply.length);
      System.arraycopy(reply, 0, row, prompt.length, reply.length);
      byte[] t = new byte[row.length];
      java.util.Arrays.fill(t, prompt.length, row.length, (byte) 1);
      rows.add(row);
      trained.add(t);
    }
    return MicroBatch.padded(rows, trained, padId);
  }
}
