package io.liandan.llm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.liandan.llm.data.tokenize.ShardWriter;
import io.liandan.llm.data.tokenize.TokenShards;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batches from shards: padding and labels, every sample once per epoch, exact resume. */
class ShardBatchesTest {
  /** Segment i = ids (i*10+1 .. i*10+len), the first two tokens masked (a prompt). */
  static TokenShards shards(Path dir, int count) {
    try (ShardWriter w = new ShardWriter(dir, 7)) { // tiny shards: batches cross shard files
      for (int i = 0; i < count; i++) {
        int len = 3 + i % 4;
        int[] ids = new int[len];
        byte[] mask = new byte[len];
        for (int t = 0; t < len; t++) {
          ids[t] = i * 10 + t + 1;
          mask[t] = (byte) (t < 2 ? 0 : 1);
        }
        w.add(List.of(ids), List.of(mask));
      }
      w.commit();
      return new TokenShards(dir, w.shards());
    }
  }

  @Test
  void padsRightMasksPromptsAndVisitsEverySampleOncePerEpoch(@TempDir Path dir) {
    ShardBatches b = new ShardBatches(shards(dir, 10), 4, 1, 0);
    assertEquals(3, b.batchesPerEpoch());
    Set<Long> firsts = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      MicroBatch mb = b.next();
      for (int r = 0; r < mb.batch(); r++) {
        long first = mb.ids()[r * mb.seq()];
        firsts.add(first);
        int len = (int) (3 + (first / 10) % 4);
        assertEquals(TokenLogps.IGNORE, mb.labels()[r * mb.seq() + 1]); // prompt
        assertEquals(first + 2, mb.labels()[r * mb.seq() + 2]); // reply
        if (len < mb.seq()) {
          assertEquals(0, mb.ids()[r * mb.seq() + len]); // pad id
          assertEquals(0, mb.mask()[r * mb.seq() + len]);
          assertEquals(TokenLogps.IGNORE, mb.labels()[r * mb.seq() + len]);
        }
      }
    }
    assertEquals(10, firsts.size());
    assertEquals(new ShardBatches.Position(0, 10), b.position());
  }

  @Test
  void resumingFromAPositionReplaysTheSameBatches(@TempDir Path dir) {
    TokenShards s = shards(dir, 9);
    ShardBatches a = new ShardBatches(s, 2, 7, 0);
    List<long[]> run = new ArrayList<>();
    ShardBatches.Position at = null;
    for (int i = 0; i < 12; i++) { // crosses into the second epoch (5 batches per epoch)
      if (i == 6) at = a.position();
      run.add(a.next().ids());
    }
    ShardBatches resumed = new ShardBatches(s, 2, 7, 0);
    resumed.seek(at);
    for (int i = 6; i < 12; i++) assertArrayEquals(run.get(i), resumed.next().ids(), "batch " + i);
    MicroBatch equalLengths = new ShardBatches(shards(dir.resolve("same"), 1), 1, 1, 0).next();
    assertNull(equalLengths.mask(), "no padding, no mask");
  }
}
