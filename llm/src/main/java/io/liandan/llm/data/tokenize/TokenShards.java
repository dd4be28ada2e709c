package io.liandan.llm.data.tokenize;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads what {@link ShardWriter} wrote, memory-mapped: segment i of shard s is ids[offsets[i],
 * offsets[i+1]) with its loss mask. Training reads batches from here without loading a dataset.
 */
public final class TokenShards {
  private final List<Shard> shards = new ArrayList<>();
  private final long segments;

  private record Shard(IntBuffer ids, ByteBuffer mask, LongBuffer offsets, long first) {}

  /** One segment: token ids and their loss mask (1 = trained). */
  public record Segment(int[] ids, byte[] mask) {}

  public TokenShards(Path dir, List<String> names) {
    long count = 0;
    for (String n : names) {
      LongBuffer off = map(dir.resolve(n + ".offsets")).asLongBuffer();
      shards.add(
          new Shard(
              map(dir.resolve(n + ".ids")).asIntBuffer(),
              map(dir.resolve(n + ".mask")),
              off,
              count));
      count += off.limit() - 1;
    }
    segments = count;
  }

  public long segments() {
    return segments;
  }

  public Segment segment(long index) {
    if (index < 0 || index >= segments)
      throw new IndexOutOfBoundsException("segment " + index + " of " + segments);
    int lo = 0, hi = shards.size() - 1; // the last shard whose first segment is <= index
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (shards.get(mid).first <= index) lo = mid;
      else hi = mid - 1;
    }
    Shard s = shards.get(lo);
    int i = (int) (index - s.first);
    int from = (int) s.offsets.get(i), to = (int) s.offsets.get(i + 1);
    int[] ids = new int[to - from];
    s.ids.get(from, ids);
    byte[] mask = new byte[to - from];
    s.mask.get(from, mask);
    return new Segment(ids, mask);
  }

  private static ByteBuffer map(Path p) {
    try (FileChannel ch = FileChannel.open(p)) {
      return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new UncheckedIOException(p + ": cannot map token shard: " + e.getMessage(), e);
    }
  }
}
