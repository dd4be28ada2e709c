package io.liandan.llm.train;

import io.liandan.llm.data.tokenize.TokenShards;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Micro-batches from token shards: each epoch visits every sample once in an order shuffled from
 * (seed, epoch), rows right-padded to the longest in the batch (attention mask 0), labels = ids
 * where the shard's mask is 1, else -100. A PT block or SFT conversation is one segment ({@link
 * #next}); a DPO pair is three (prompt, chosen, rejected: {@link #nextPairs}), a KTO example too
 * (prompt, completion, label: {@link #nextKto}). The position (epoch, index) is all the state there
 * is, so a resumed run continues exactly where a checkpoint left off. Eval reads in order, once
 * ({@link #inOrder}).
 */
public final class ShardBatches {
  /** Where the next batch starts: epoch and index into that epoch's order. */
  public record Position(long epoch, long index) {}

  private final TokenShards shards;
  private final int batchSize;
  private final long seed;
  private final int padId;
  private final int group; // segments per sample: 1, or 3 for DPO
  private final boolean shuffle;
  private long epoch, index;
  private int[] order; // this epoch's permutation of segment indices

  public ShardBatches(TokenShards shards, int batchSize, long seed, int padId) {
    this(shards, batchSize, seed, padId, 1, true);
  }

  private ShardBatches(
      TokenShards shards, int batchSize, long seed, int padId, int group, boolean shuffle) {
    if (batchSize < 1)
      throw new IllegalArgumentException("per_device_train_batch_size must be >= 1");
    if (shards.segments() == 0)
      throw new IllegalArgumentException("the token shards hold no samples");
    if (shards.segments() % group != 0)
      throw new IllegalArgumentException("the token shards do not hold whole preference pairs");
    this.shards = shards;
    this.batchSize = batchSize;
    this.seed = seed;
    this.padId = padId;
    this.group = group;
    this.shuffle = shuffle;
    this.order = permutation(0);
  }

  /** DPO pairs (prompt, chosen, rejected segments), shuffled per epoch. */
  public static ShardBatches pairs(TokenShards shards, int batchSize, long seed, int padId) {
    return new ShardBatches(shards, batchSize, seed, padId, 3, true);
  }

  /** KTO examples (prompt, completion, label segments), shuffled per epoch. */
  public static ShardBatches kto(TokenShards shards, int batchSize, long seed, int padId) {
    return pairs(shards, batchSize, seed, padId); // also three segments a sample
  }

  /** Every sample once in stored order (eval); {@code pairs} for DPO and KTO shards. */
  public static ShardBatches inOrder(TokenShards shards, int batchSize, int padId, boolean pairs) {
    return new ShardBatches(shards, batchSize, 0, padId, pairs ? 3 : 1, false);
  }

  /** Batches per epoch (a last partial batch is kept, as transformers' default). */
  public long batchesPerEpoch() {
    return (samples() + batchSize - 1) / batchSize;
  }

  /** Samples per epoch: segments, or pairs. */
  public long samples() {
    return shards.segments() / group;
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
    if (group != 1) throw new IllegalStateException("these shards hold pairs: use nextPairs()");
    List<int[]> rows = new ArrayList<>();
    List<byte[]> trained = new ArrayList<>();
    for (long s : nextSamples()) {
      TokenShards.Segment seg = shards.segment(s);
      rows.add(seg.ids());
      trained.add(seg.mask());
    }
    return MicroBatch.padded(rows, trained, padId);
  }

  /** The next micro-batch of DPO pairs. */
  public PreferenceBatch nextPairs() {
    if (group != 3) throw new IllegalStateException("these shards hold no pairs: use next()");
    List<int[][]> pairs = new ArrayList<>();
    for (long s : nextSamples()) {
      pairs.add(
          new int[][] {
            shards.segment(3 * s).ids(),
            shards.segment(3 * s + 1).ids(),
            shards.segment(3 * s + 2).ids()
          });
    }
    return PreferenceBatch.of(pairs, padId);
  }

  /**
   * The next micro-batch of KTO examples, with the mismatched (prompt, another row's completion)
   * rows of TRL's collator for the KL estimate.
   */
  public KtoBatch nextKto() {
    if (group != 3) throw new IllegalStateException("these shards hold no KTO examples");
    List<int[][]> rows = new ArrayList<>();
    List<Boolean> labels = new ArrayList<>();
    for (long s : nextSamples()) {
      rows.add(new int[][] {shards.segment(3 * s).ids(), shards.segment(3 * s + 1).ids()});
      labels.add(shards.segment(3 * s + 2).ids()[0] == 1);
    }
    boolean[] desirable = new boolean[labels.size()];
    for (int i = 0; i < desirable.length; i++) desirable[i] = labels.get(i);
    return KtoBatch.of(rows, desirable, padId);
  }

  /** Indices of the next batch's samples; rolls over to the next epoch (reshuffled) at the end. */
  private long[] nextSamples() {
    if (index >= order.length) {
      epoch++;
      index = 0;
      order = permutation(epoch);
    }
    int n = (int) Math.min(batchSize, order.length - index);
    long[] out = new long[n];
    for (int i = 0; i < n; i++) out[i] = order[(int) index + i];
    index += n;
    return out;
  }

  /** Fisher–Yates from (seed, epoch): the same order on every run and after every resume. */
  private int[] permutation(long epoch) {
    int[] p = new int[Math.toIntExact(samples())];
    for (int i = 0; i < p.length; i++) p[i] = i;
    if (!shuffle) return p;
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
