// Writer of .safetensors files and sharded Hugging Face checkpoints, atomically.
package io.liandan.llm.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Collects tensors, then writes them in insertion order, tightly packed, after a header padded to 8
 * bytes. Every file is written under a temporary name in the target folder, synced, and renamed, so
 * a crash never leaves a half-written file under the real name.
 *
 * <p>The arrays and buffers passed to {@code put} are kept, not copied (checkpoints can be as large
 * as the heap allows): do not change them until the write is done.
 */
public final class SafetensorsWriter {
  private static final Pattern SHARD_NAME = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int WRITE_CHUNK = 1 << 20;

  private final Map<String, String> metadata = new LinkedHashMap<>();
  private final Map<String, Entry> entries = new LinkedHashMap<>();

  /** One pending tensor; exactly one of floats, longs, raw is set. */
  private record Entry(
      String name, Dtype dtype, long[] shape, float[] floats, long[] longs, ByteBuffer raw) {
    long bytes() {
      return TensorInfo.numel(shape) * dtype.bytes();
    }
  }

  public SafetensorsWriter() {
    // transformers refuses to load a safetensors checkpoint without this key.
    metadata.put("format", "pt");
  }

  /** Adds a __metadata__ entry (replacing any earlier value, including the default format=pt). */
  public SafetensorsWriter metadata(String key, String value) {
    if (key == null || value == null)
      throw new IllegalArgumentException("metadata key or value is null");
    metadata.put(key, value);
    return this;
  }

  /** Adds an F32 tensor. */
  public SafetensorsWriter put(String name, float[] data, long... shape) {
    check(name, Dtype.F32, shape, data.length * 4L);
    entries.put(name, new Entry(name, Dtype.F32, shape.clone(), data, null, null));
    return this;
  }

  /** Adds an I64 tensor. */
  public SafetensorsWriter put(String name, long[] data, long... shape) {
    check(name, Dtype.I64, shape, data.length * 8L);
    entries.put(name, new Entry(name, Dtype.I64, shape.clone(), null, data, null));
    return this;
  }

  /**
   * Adds a tensor from its little-endian bytes: {@code data}'s remaining bytes, position unchanged.
   */
  public SafetensorsWriter putRaw(String name, Dtype dtype, ByteBuffer data, long... shape) {
    check(name, dtype, shape, data.remaining());
    entries.put(name, new Entry(name, dtype, shape.clone(), null, null, data.duplicate()));
    return this;
  }

  private void check(String name, Dtype dtype, long[] shape, long bytes) {
    if (name == null || name.isEmpty() || name.equals(Header.METADATA)) {
      throw new IllegalArgumentException("invalid tensor name '" + name + "'");
    }
    if (entries.containsKey(name)) {
      throw new IllegalArgumentException("tensor '" + name + "' was already added");
    }
    long needed;
    try {
      for (long d : shape) {
        if (d < 0) throw new ArithmeticException();
      }
      needed = Math.multiplyExact(TensorInfo.numel(shape), dtype.bytes());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          "tensor '" + name + "' has invalid shape " + Arrays.toString(shape));
    }
    if (needed != bytes) {
      throw new IllegalArgumentException(
          "tensor '"
              + name
              + "' has shape "
              + Arrays.toString(shape)
              + " of "
              + dtype
              + ", which needs "
              + needed
              + " bytes, but the data has "
              + bytes);
    }
  }

  /** Total tensor bytes (what an index file calls total_size). */
  public long totalBytes() {
    long n = 0;
    for (Entry e : entries.values()) n += e.bytes();
    return n;
  }

  /**
   * Writes every tensor to {@code file}, replacing it if it exists.
   *
   * @throws UncheckedIOException naming the file if writing fails (no file is then left behind)
   */
  public void write(Path file) {
    writeFile(file.toAbsolutePath(), new ArrayList<>(entries.values()));
  }

  /**
   * Writes a Hugging Face checkpoint into {@code dir} (created if needed): {@code
   * model.safetensors} if all tensors fit in {@code maxShardBytes}, else {@code
   * model-0000i-of-0000N.safetensors} files of at most {@code maxShardBytes} tensor bytes each (a
   * larger tensor gets a shard of its own) plus {@code model.safetensors.index.json}, written last.
   * Weight files of the other layout left in {@code dir} by an earlier save are deleted, so that a
   * reader cannot pick up stale weights.
   */
  public void writeSharded(Path dir, long maxShardBytes) {
    if (maxShardBytes <= 0) {
      throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
    }
    Path abs = dir.toAbsolutePath();
    try {
      Files.createDirectories(abs);
    } catch (IOException e) {
      throw new UncheckedIOException(abs + ": cannot create the folder: " + e, e);
    }
    List<List<Entry>> shards = new ArrayList<>();
    List<Entry> current = new ArrayList<>();
    long size = 0;
    for (Entry e : entries.values()) {
      if (!current.isEmpty() && size + e.bytes() > maxShardBytes) {
        shards.add(current);
        current = new ArrayList<>();
        size = 0;
      }
      current.add(e);
      size += e.bytes();
    }
    if (!current.isEmpty() || shards.isEmpty()) shards.add(current);

    if (shards.size() == 1) {
      writeFile(abs.resolve(SafetensorsCheckpoint.SINGLE_FILE), shards.get(0));
      deleteStale(abs, List.of());
      return;
    }
    Map<String, String> weightMap = new LinkedHashMap<>();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < shards.size(); i++) {
      String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
      names.add(name);
      writeFile(abs.resolve(name), shards.get(i));
      for (Entry e : shards.get(i)) weightMap.put(e.name(), name);
    }
    Map<String, Object> index = new LinkedHashMap<>();
    index.put("metadata", Map.of("total_size", totalBytes()));
    index.put("weight_map", weightMap);
    Path indexFile = abs.resolve(SafetensorsCheckpoint.INDEX_FILE);
    try {
      byte[] json = Header.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index);
      atomically(indexFile, ch -> writeAll(ch, ByteBuffer.wrap(json)));
    } catch (IOException e) {
      throw new UncheckedIOException(indexFile + ": cannot write: " + e, e);
    }
    deleteStale(abs, names);
  }

  /** Deletes weight files in {@code dir} that the checkpoint just written does not use. */
  private static void deleteStale(Path dir, List<String> keep) {
    try {
      if (!keep.isEmpty()) Files.deleteIfExists(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE));
      else Files.deleteIfExists(dir.resolve(SafetensorsCheckpoint.INDEX_FILE));
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        for (Path p : ds) {
          String n = p.getFileName().toString();
          if (SHARD_NAME.matcher(n).matches() && !keep.contains(n)) Files.deleteIfExists(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": cannot remove stale weight files: " + e, e);
    }
  }

  private void writeFile(Path file, List<Entry> tensors) {
    List<TensorInfo> infos = new ArrayList<>();
    long offset = 0;
    for (Entry e : tensors) {
      infos.add(new TensorInfo(e.name(), e.dtype(), e.shape(), offset, offset + e.bytes()));
      offset += e.bytes();
    }
    byte[] header = Header.encode(metadata, infos);
    try {
      atomically(
          file,
          ch -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            writeAll(ch, len.putLong(0, header.length));
            writeAll(ch, ByteBuffer.wrap(header));
            ByteBuffer buf = ByteBuffer.allocateDirect(WRITE_CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : tensors) writeData(ch, e, buf);
          });
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": cannot write: " + e, e);
    }
  }

  private static void writeData(FileChannel ch, Entry e, ByteBuffer buf) throws IOException {
    if (e.raw() != null) {
      writeAll(ch, e.raw().duplicate());
    } else if (e.floats() != null) {
      float[] a = e.floats();
      writeChunked(ch, buf, a.length, 4, (b, from, n) -> b.asFloatBuffer().put(a, from, n));
    } else {
      long[] a = e.longs();
      writeChunked(ch, buf, a.length, 8, (b, from, n) -> b.asLongBuffer().put(a, from, n));
    }
  }

  /** Puts {@code n} values of an array, from {@code from} on, at the start of {@code buf}. */
  private interface Chunk {
    void put(ByteBuffer buf, int from, int n);
  }

  /** {@code length} values of {@code bytes} each, through {@code buf} a bufferful at a time. */
  private static void writeChunked(
      FileChannel ch, ByteBuffer buf, int length, int bytes, Chunk chunk) throws IOException {
    for (int i = 0; i < length; ) {
      int k = Math.min(length - i, buf.capacity() / bytes);
      buf.clear();
      chunk.put(buf, i, k);
      writeAll(ch, buf.limit(k * bytes));
      i += k;
    }
  }

  private static void writeAll(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) ch.write(b);
  }

  private interface Body {
    void write(FileChannel ch) throws IOException;
  }

  /**
   * Writes {@code file} via a synced temporary sibling and a rename; no temporary is left behind.
   */
  private static void atomically(Path file, Body body) throws IOException {
    Path tmp =
        file.resolveSibling(
            file.getFileName() + ".tmp-" + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE));
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
        body.write(ch);
        // Without this the rename may reach the disk before the data and survive a crash.
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the file system cannot rename atomically: " + e.getMessage(), e);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
