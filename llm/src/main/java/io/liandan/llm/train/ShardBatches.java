package io.liandan.llm.train;

import io.liandan.llm.data.tokenize.TokenShards;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Micro-batches from token shards for PT and SFT: each epoch visits every segment once in an order
 * shuffled from (seed, epoch), rows right-padded to the longest in the batch (attention mask 0),
 * labels = ids where the shard's mask is 1, else -100. The position (epoch, index) is all the state
 * there is, so a resumed run continues exactly where a checkpoint left off.
 */
public final class ShardBatches {
  /** Where the next batch starts: epoch and index into that epoch's order. */
  public record Position(long epoch, long index) {}

  private final TokenShards shards;
  private final int batchSize;
  private final long seed;
  private final int padId;
  private long epoch, index;
  private int[] order; // this epoch's permutation of segment indices

  public ShardBatches(TokenShards shards, int batchSize, long seed, int padId) {
    if (batchSize < 1)
      throw new IllegalArgumentException("per_device_train_batch_size must be >= 1");
    if (shards.segments() == 0)
      throw new IllegalArgumentException("the token shards hold no samples");
    this.shards = shards;
    this.batchSize = batchSize;
    this.seed = seed;
    this.padId = padId;
    this.order = permutation(0);
  }

  /** Full batches per epoch (a last partial batch is kept, as transformers' default). */
  public long batchesPerEpoch() {
    return (shards.segments() + batchSize - 1) / batchSize;
  }

  public Position position() {
    return new Position(epoch, index);
  }

  /** Continues from {@code p} (a checkpoint's position). */
  public void seek(Position p) {
    epoch = p.epoch();
    index = p.index();
    order = permutation(epoch);
  }

  /** The next micro-batch; rolls over to the next epoch (reshuffled) at the end of one. */
  public MicroBatch next() {
    if (index >= order.length) {
      epoch++;
      index = 0;
      order = permutation(epoch);
    }
    int n = (int) Math.min(batchSize, order.length - index);
    List<int[]> rows = new ArrayList<>(n);
    List<byte[]> trained = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      TokenShards.Segment seg = shards.segment(order[(int) index + i]);
      rows.add(seg.ids());
      trained.add(seg.mask());
    }
    index += n;
    return MicroBatch.padded(rows, trained, padId);
  }

  /** Fisher–Yates from (seed, epoch): the same order on every run and after every resume. */
  private int[] permutation(long epoch) {
    int[] p = new int[Math.toIntExact(shards.segments())];
    for (int i = 0; i < p.length; i++) p[i] = i;
    SplittableRandom rng = new SplittableRandom(seed * 1_000_003L + epoch);
    for (int i = p.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
