package io.liandan.llm.train;

import java.util.ArrayList;
import java.util.List;

/**
 * A KTO micro-batch: each row one (prompt, completion) example with its label, plus the mismatched
 * rows TRL's KTO collator builds for the KL estimate — row i's prompt with row i−1's completion
 * (cyclically). Labels -100 on prompts and padding, as {@link PreferenceBatch}.
 *
 * @param desirable (B) 1 for a desirable example, 0 for an undesirable one
 */
public record KtoBatch(MicroBatch examples, MicroBatch mismatched, float[] desirable) {
  public KtoBatch {
    if (examples.batch() != mismatched.batch() || desirable.length != examples.batch())
      throw new IllegalArgumentException("examples, mismatched rows and labels must align");
  }

  /** From (prompt, completion) id pairs and their labels, right-padded with {@code padId}. */
  public static KtoBatch of(List<int[][]> rows, boolean[] labels, int padId) {
    int n = rows.size();
    List<int[][]> kl = new ArrayList<>(n);
    for (int i = 0; i < n; i++) kl.add(new int[][] {rows.get(i)[0], rows.get((i - 1 + n) % n)[1]});
    float[] d = new float[n];
    for (int i = 0; i < n; i++) d[i] = labels[i] ? 1 : 0;
    return new KtoBatch(
        PreferenceBatch.side(rows, 1, padId), PreferenceBatch.side(kl, 1, padId), d);
  }
}
