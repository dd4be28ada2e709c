// Reader for one .safetensors file: validated header, memory-mapped tensor views, widening reads.
package io.liandan.llm.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;

/**
 * An open safetensors file. {@link #open} reads and checks the whole header up front, so every
 * tensor listed by {@link #tensors()} is known to lie inside the file with a size matching its
 * dtype and shape; reads after that can only fail if the file changes underneath.
 *
 * <p>Safe for concurrent reads from several threads (positional reads and mappings only).
 */
public final class SafetensorsFile implements AutoCloseable {
  // A multiple of every element size, so no element straddles two mappings.
  private static final long MAP_CHUNK_BYTES = 1L << 30;
  // Elements widened per step through a scratch array.
  private static final int CONVERT_CHUNK = 1 << 16;

  private final Path file;
  private final FileChannel channel;
  private final long dataStart;
  private final Header header;
  private volatile boolean closed;

  private SafetensorsFile(Path file, FileChannel channel, long dataStart, Header header) {
    this.file = file;
    this.channel = channel;
    this.dataStart = dataStart;
    this.header = header;
  }

  /**
   * Opens {@code file} and validates its header; throws {@link CheckpointException} if unusable.
   */
  public static SafetensorsFile open(Path file) {
    Path abs = file.toAbsolutePath();
    FileChannel ch;
    try {
      ch = FileChannel.open(abs, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new CheckpointException(abs, "no such file");
    } catch (IOException e) {
      throw new UncheckedIOException(abs + ": cannot open: " + e, e);
    }
    try {
      long size = size(abs, ch);
      if (size < 8) {
        throw new CheckpointException(
            abs, "file has " + size + " bytes, too short to hold a safetensors header length");
      }
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(abs, ch, lenBuf, 0);
      long n = lenBuf.getLong(0);
      // Unsigned on disk: a negative long means a length beyond 2^63, which no file can have.
      if (n < 0 || n > size - 8) {
        throw new CheckpointException(
            abs,
            "header length "
                + Long.toUnsignedString(n)
                + " exceeds file size "
                + size
                + " (not a safetensors file, or truncated)");
      }
      if (n > Header.MAX_HEADER_BYTES) {
        throw new CheckpointException(
            abs, "header length " + n + " exceeds the limit of " + Header.MAX_HEADER_BYTES);
      }
      ByteBuffer json = ByteBuffer.allocate((int) n);
      readFully(abs, ch, json, 8);
      Header header = Header.parse(abs, json.array(), 8 + n, size);
      return new SafetensorsFile(abs, ch, 8 + n, header);
    } catch (RuntimeException e) {
      closeQuietly(ch, e);
      throw e;
    }
  }

  /** The file's absolute path. */
  public Path path() {
    return file;
  }

  /** All tensors, in the order the header lists them (unmodifiable). */
  public Map<String, TensorInfo> tensors() {
    return header.tensors();
  }

  /** The header's __metadata__ (unmodifiable; empty if absent). */
  public Map<String, String> metadata() {
    return header.metadata();
  }

  public boolean has(String name) {
    return header.tensors().containsKey(name);
  }

  /**
   * The tensor {@code name}; throws {@link CheckpointException} naming file and tensor if absent.
   */
  public TensorInfo info(String name) {
    TensorInfo t = header.tensors().get(name);
    if (t == null) throw new CheckpointException(file, "missing tensor '" + name + "'");
    return t;
  }

  /**
   * The tensor {@code name}, checked to have exactly {@code shape}.
   *
   * @throws CheckpointException naming file and tensor if it is missing or shaped otherwise
   */
  public TensorInfo expectShape(String name, long... shape) {
    TensorInfo t = info(name);
    if (!Arrays.equals(t.shape(), shape)) {
      throw new CheckpointException(
          file,
          "tensor '"
              + name
              + "' has shape "
              + Arrays.toString(t.shape())
              + ", expected "
              + Arrays.toString(shape));
    }
    return t;
  }

  /**
   * A read-only little-endian view of the tensor's bytes, memory-mapped from the file (nothing is
   * copied). Each call maps just this tensor's region, so files beyond 2 GiB work; the mapping
   * stays valid after {@link #close()} until the buffer is garbage-collected.
   *
   * @throws CheckpointException if the tensor is missing or larger than a ByteBuffer can address
   */
  public ByteBuffer raw(String name) {
    TensorInfo t = info(name);
    if (t.bytes() > Integer.MAX_VALUE) {
      throw new CheckpointException(
          file,
          "tensor '"
              + name
              + "' is "
              + t.bytes()
              + " bytes, more than one memory mapping can hold ("
              + Integer.MAX_VALUE
              + "); read it with readFloat32/readInt64 instead");
    }
    ensureOpen();
    try {
      // map() returns a read-only buffer in big-endian order; set the order last, on the result.
      return channel
          .map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), t.bytes())
          .order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": cannot map tensor '" + name + "': " + e, e);
    }
  }

  /**
   * Reads bytes of tensor {@code name} from its byte {@code offset} into {@code dst}, as many as
   * {@code dst} has remaining (positioned reads: threads may share this file).
   *
   * @throws CheckpointException if the tensor is missing or the range runs past its end
   */
  public void read(String name, long offset, ByteBuffer dst) {
    TensorInfo t = info(name);
    if (offset < 0 || offset + dst.remaining() > t.bytes()) {
      throw new CheckpointException(
          file,
          "bytes "
              + offset
              + ".."
              + (offset + dst.remaining())
              + " are outside tensor '"
              + name
              + "' ("
              + t.bytes()
              + " bytes)");
    }
    ensureOpen();
    readFully(file, channel, dst, dataStart + t.begin() + offset);
  }

  /**
   * The tensor as float32: F32 as stored, F16 and BF16 widened exactly, F64 rounded to nearest.
   *
   * @throws CheckpointException if missing, of an integer dtype, or too many elements for an array
   */
  public float[] readFloat32(String name) {
    TensorInfo t = info(name);
    float[] out = new float[arrayLength(t)];
    switch (t.dtype()) {
      case F32 -> eachChunk(t, (b, at) -> b.asFloatBuffer().get(out, at, b.remaining() / 4));
      case F16, BF16 -> {
        boolean f16 = t.dtype() == Dtype.F16;
        short[] tmp = new short[tmpLength(t)];
        eachChunk(
            t,
            (b, at) -> {
              ShortBuffer in = b.asShortBuffer();
              for (int k; (k = Math.min(tmp.length, in.remaining())) > 0; at += k) {
                in.get(tmp, 0, k);
                if (f16) HalfFloats.f16ToFloat(tmp, k, out, at);
                else HalfFloats.bf16ToFloat(tmp, k, out, at);
              }
            });
      }
      case F64 ->
          eachChunk(
              t,
              (b, at) -> {
                DoubleBuffer in = b.asDoubleBuffer();
                for (int i = 0; i < in.limit(); i++) out[at + i] = (float) in.get(i);
              });
      default -> throw wrongDtype(t, "a float32 array", "F32, F16, BF16, F64");
    }
    return out;
  }

  /**
   * The tensor as int64: I64 as stored; I32, I16, I8, U8 (unsigned) and BOOL (0/1) widened.
   *
   * @throws CheckpointException if missing, of a floating-point dtype, or too many elements
   */
  public long[] readInt64(String name) {
    TensorInfo t = info(name);
    long[] out = new long[arrayLength(t)];
    switch (t.dtype()) {
      case I64 -> eachChunk(t, (b, at) -> b.asLongBuffer().get(out, at, b.remaining() / 8));
      case I32 ->
          eachChunk(
              t,
              (b, at) -> {
                IntBuffer in = b.asIntBuffer();
                for (int i = 0; i < in.limit(); i++) out[at + i] = in.get(i);
              });
      case I16 ->
          eachChunk(
              t,
              (b, at) -> {
                ShortBuffer in = b.asShortBuffer();
                for (int i = 0; i < in.limit(); i++) out[at + i] = in.get(i);
              });
      case I8, U8, BOOL -> {
        boolean signed = t.dtype() == Dtype.I8, bool = t.dtype() == Dtype.BOOL;
        eachChunk(
            t,
            (b, at) -> {
              for (int i = 0; i < b.limit(); i++) {
                byte v = b.get(i);
                // torch writes bools as 0/1, but any non-zero byte means true.
                out[at + i] = bool ? (v != 0 ? 1 : 0) : signed ? v : v & 0xff;
              }
            });
      }
      default -> throw wrongDtype(t, "an int64 array", "I64, I32, I16, I8, U8, BOOL");
    }
    return out;
  }

  private CheckpointException wrongDtype(TensorInfo t, String as, String readable) {
    return new CheckpointException(
        file,
        "tensor '"
            + t.name()
            + "' has dtype "
            + t.dtype()
            + ", which cannot be read as "
            + as
            + " (readable: "
            + readable
            + ")");
  }

  private int arrayLength(TensorInfo t) {
    long n = t.numel();
    // Some JVMs refuse arrays within a few elements of Integer.MAX_VALUE.
    if (n > Integer.MAX_VALUE - 8) {
      throw new CheckpointException(
          file,
          "tensor '" + t.name() + "' has " + n + " elements, more than a Java array can hold");
    }
    return (int) n;
  }

  /** Scratch length for widening, small so that reading many little tensors stays cheap. */
  private static int tmpLength(TensorInfo t) {
    return (int) Math.min(CONVERT_CHUNK, t.numel());
  }

  /**
   * Receives one chunk: a little-endian buffer of whole elements, and the first element's index.
   */
  private interface Chunk {
    void accept(ByteBuffer chunk, int firstElement);
  }

  /** Maps the tensor piece by piece, since one mapping cannot exceed 2 GiB. */
  private void eachChunk(TensorInfo t, Chunk sink) {
    ensureOpen();
    int elem = t.dtype().bytes();
    long done = 0;
    while (done < t.bytes()) {
      long len = Math.min(MAP_CHUNK_BYTES, t.bytes() - done);
      ByteBuffer b;
      try {
        b = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin() + done, len);
      } catch (IOException e) {
        throw new UncheckedIOException(file + ": cannot map tensor '" + t.name() + "': " + e, e);
      }
      sink.accept(b.order(ByteOrder.LITTLE_ENDIAN), (int) (done / elem));
      done += len;
    }
  }

  private static long size(Path file, FileChannel ch) {
    try {
      return ch.size();
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": cannot get the file size: " + e, e);
    }
  }

  private static void readFully(Path file, FileChannel ch, ByteBuffer buf, long pos) {
    try {
      while (buf.hasRemaining()) {
        int n = ch.read(buf, pos);
        if (n < 0) {
          throw new CheckpointException(
              file, "truncated: unexpected end of file at byte " + pos + " (was it modified?)");
        }
        pos += n;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": cannot read at byte " + pos + ": " + e, e);
    }
  }

  private void ensureOpen() {
    if (closed) throw new IllegalStateException(file + ": already closed");
  }

  private static void closeQuietly(FileChannel ch, Exception primary) {
    try {
      ch.close();
    } catch (IOException e) {
      primary.addSuppressed(e);
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": cannot close: " + e, e);
    }
  }

  @Override
  public String toString() {
    return "SafetensorsFile[" + file + ", " + header.tensors().size() + " tensors]";
  }
}
