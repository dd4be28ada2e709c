package io.liandan.llm.data.tokenize;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes token shards: per shard, {@code NAME.ids} (int32 LE token ids), {@code NAME.mask} (one
 * byte per token, 1 = the loss is taken on it) and {@code NAME.offsets} (int64 LE, segment starts
 * plus the end: n+1 values). A sample is one segment (PT block, SFT conversation) or several (DPO:
 * prompt, chosen, rejected). Files are written under temporary names and renamed when a shard
 * reaches {@code maxTokensPerShard} or on {@link #commit()}.
 */
public final class ShardWriter implements AutoCloseable {
  private final Path dir;
  private final long maxTokensPerShard;
  private final List<String> shards = new ArrayList<>();
  private Open open;
  private long samples, tokens, trainedTokens;

  private record Open(
      String name, DataOutputStream ids, OutputStream mask, DataOutputStream offsets, long[] pos) {}

  public ShardWriter(Path dir, long maxTokensPerShard) {
    this.dir = dir;
    this.maxTokensPerShard = maxTokensPerShard;
  }

  /** Appends one sample made of {@code segments} (ids with their masks, same lengths). */
  public void add(List<int[]> segmentIds, List<byte[]> segmentMasks) {
    try {
      if (open == null) open = openShard();
      for (int s = 0; s < segmentIds.size(); s++) {
        int[] ids = segmentIds.get(s);
        byte[] mask = segmentMasks.get(s);
        if (ids.length != mask.length)
          throw new IllegalArgumentException("ids and mask lengths differ");
        ByteBuffer b = ByteBuffer.allocate(ids.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int id : ids) b.putInt(id);
        open.ids.write(b.array());
        open.mask.write(mask);
        open.pos[0] += ids.length;
        open.offsets.writeLong(Long.reverseBytes(open.pos[0]));
        tokens += ids.length;
        for (byte m : mask) trainedTokens += m;
      }
      samples++;
      if (open.pos[0] >= maxTokensPerShard) finishShard();
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": cannot write token shard: " + e.getMessage(), e);
    }
  }

  /** What the manifest records of this split: its shards, samples, tokens and trained tokens. */
  TokenizeManifest.Split split() {
    return new TokenizeManifest.Split(shards(), samples, tokens, trainedTokens);
  }

  /** Names of the shards written so far (complete ones). */
  public List<String> shards() {
    return List.copyOf(shards);
  }

  private Open openShard() throws IOException {
    Files.createDirectories(dir);
    String name = String.format("shard-%05d", shards.size());
    var ids =
        new DataOutputStream(
            new BufferedOutputStream(Files.newOutputStream(tmp(name, "ids")), 1 << 20));
    var mask = new BufferedOutputStream(Files.newOutputStream(tmp(name, "mask")), 1 << 18);
    var off =
        new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp(name, "offsets"))));
    off.writeLong(0); // the first segment starts at 0
    return new Open(name, ids, mask, off, new long[] {0});
  }

  private Path tmp(String name, String ext) {
    return dir.resolve(name + "." + ext + ".tmp");
  }

  private void finishShard() throws IOException {
    open.ids.close();
    open.mask.close();
    open.offsets.close();
    for (String ext : List.of("ids", "mask", "offsets")) {
      Files.move(
          tmp(open.name, ext), dir.resolve(open.name + "." + ext), StandardCopyOption.ATOMIC_MOVE);
    }
    shards.add(open.name);
    open = null;
  }

  /** Finishes the open shard; the shards written become final. */
  public void commit() {
    try {
      if (open != null) finishShard();
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": cannot finish token shard: " + e.getMessage(), e);
    }
  }

  /** Without {@link #commit()} (an exception on the way), the open shard's files are removed. */
  @Override
  public void close() {
    if (open == null) return;
    try {
      open.ids.close();
      open.mask.close();
      open.offsets.close();
      for (String ext : List.of("ids", "mask", "offsets"))
        Files.deleteIfExists(tmp(open.name, ext));
      open = null;
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": cannot clean up token shard: " + e.getMessage(), e);
    }
  }
}
