package io.liandan.bench;

import io.liandan.llm.train.KtoBatch;
import io.liandan.llm.train.MicroBatch;
import io.liandan.llm.train.PreferenceBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * The token ids DeviceTrainBench trains on, step by step, by a formula that {@code
 * bench/hf/train_bench.py} repeats word for word (its {@code batch} and {@code pairs}), so that
 * both stacks see the same data without sharing a random generator. Repeating patterns: the loss
 * falls, which shows that the steps learn. Not a data set: no tokenizer, no padding.
 */
final class BenchData {
  private BenchData() {}

  /** Row {@code b} of step {@code step}'s batch starts at this offset in its pattern. */
  static int offset(int step, int B, int b) {
    return (step * B + b) * 131 % 1000;
  }

  /** Causal-LM batch (B, T): period-17 rows, labels = ids. */
  static MicroBatch batch(int step, int B, int T) {
    long[] ids = new long[B * T];
    for (int b = 0; b < B; b++) {
      for (int t = 0; t < T; t++) ids[b * T + t] = chosenToken(offset(step, B, b) + t);
    }
    return new MicroBatch(B, T, ids, ids.clone(), null);
  }

  /**
   * B preference pairs of T tokens a side: a T/2 prompt, then the pattern continued (chosen) or a
   * period-13 pattern (rejected), T - T/2 tokens each; only the replies are trained.
   */
  static PreferenceBatch pairs(int step, int B, int T) {
    int p = T / 2;
    List<int[][]> pairs = new ArrayList<>(B);
    for (int b = 0; b < B; b++) {
      int o = offset(step, B, b);
      int[] prompt = new int[p], chosen = new int[T - p], rejected = new int[T - p];
      for (int t = 0; t < p; t++) prompt[t] = chosenToken(o + t);
      for (int t = 0; t < T - p; t++) {
        chosen[t] = chosenToken(o + p + t);
        rejected[t] = 2000 + (o + t) % 13 * 11;
      }
      pairs.add(new int[][] {prompt, chosen, rejected});
    }
    return PreferenceBatch.of(pairs, 0); // no row is padded: all have T tokens
  }

  /**
   * The same pairs unpaired for KTO, as KTOTrainer does: 2B examples of T tokens, each pair's
   * chosen reply desirable and its rejected one not, the rejected block after the chosen one.
   */
  static KtoBatch kto(int step, int B, int T) {
    int p = T / 2;
    List<int[][]> rows = new ArrayList<>(2 * B);
    boolean[] labels = new boolean[2 * B];
    for (int side = 0; side < 2; side++)
      for (int b = 0; b < B; b++) {
        int o = offset(step, B, b);
        int[] prompt = new int[p], completion = new int[T - p];
        for (int t = 0; t < p; t++) prompt[t] = chosenToken(o + t);
        for (int t = 0; t < T - p; t++)
          completion[t] = side == 0 ? chosenToken(o + p + t) : 2000 + (o + t) % 13 * 11;
        labels[side * B + b] = side == 0;
        rows.add(new int[][] {prompt, completion});
      }
    return KtoBatch.of(rows, labels, 0);
  }

  private static int chosenToken(int i) {
    return 1000 + i % 17 * 7;
  }
}
