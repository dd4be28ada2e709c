package io.liandan.llm.kernels;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Checkpoint bytes into float32 tensors at memory speed. Each chunk of a tensor's little-endian
 * bytes is read into one reused staging buffer, which torch wraps as uint8 without a copy; libtorch
 * reinterprets the chunk as its stored type and widens it into its slice of the destination, which
 * torch allocated without filling. Java never touches a value, and bf16 is never named to DJL (its
 * native dtype table stops before bf16: the JVM aborts). One instance per load: peak memory is the
 * float32 tensors plus a chunk or two.
 */
public final class Widening implements AutoCloseable {
  /**
   * The staging chunk: 8 MiB, small enough to stay in the L3 cache between its read and its
   * widening (the 0.5B checkpoint loaded in 0.85–0.89 s with 8 MiB, 0.93–0.95 s with 32), large
   * enough that a call's overhead (tens of µs) is noise.
   */
  static final int CHUNK_BYTES = 8 << 20;

  /** Fills {@code dst} (its remaining bytes) from byte {@code offset} of the tensor. */
  @FunctionalInterface
  public interface Source {
    void read(long offset, ByteBuffer dst);
  }

  /** The stored element types this reads. */
  public enum Stored {
    BF16(2, 15),
    F16(2, 5),
    F32(4, 6);

    final int bytes;
    final int torchType; // c10::ScalarType

    Stored(int bytes, int torchType) {
      this.bytes = bytes;
      this.torchType = torchType;
    }
  }

  private final ByteBuffer staging; // a chunk as stored
  private final NDManager host; // owns the wraps of the staging buffer

  public Widening() {
    this(CHUNK_BYTES);
  }

  /** For reading tensors of at most {@code bytes}: a staging buffer no larger than needed. */
  public static Widening forBytes(long bytes) {
    return new Widening((int) Math.min(CHUNK_BYTES, Math.max(16, bytes)));
  }

  Widening(int chunkBytes) {
    staging = ByteBuffer.allocateDirect(chunkBytes).order(ByteOrder.LITTLE_ENDIAN);
    host = NDManager.newBaseManager(Device.cpu(), "PyTorch");
  }

  /**
   * A new float32 tensor of {@code shape} on {@code manager}'s device, owned by it, holding the
   * {@code shape.size()} values of type {@code stored} that {@code source} reads.
   */
  public NDArray toFloat32(Source source, Stored stored, Shape shape, NDManager manager) {
    long n = shape.size();
    long perChunk = staging.capacity() / stored.bytes; // elements
    NDArray flat = manager.create(new Shape(n), DataType.FLOAT32); // torch::empty: not filled
    try {
      fill(flat, source, stored, n, perChunk);
      return flat.reshape(shape); // a view: the storage outlives flat's handle
    } finally {
      flat.close();
    }
  }

  /**
   * {@link #toFloat32}'s twin for frozen weights kept in bfloat16 ({@link Bf16}): a new bf16
   * tensor, filled by libtorch from the stored bytes (bf16 copied as is, float16 and float32
   * rounded to nearest even). DJL sees its dtype as UNKNOWN: only {@link Bf16} computes with it.
   */
  public NDArray toBf16(Source source, Stored stored, Shape shape, NDManager manager) {
    long n = shape.size();
    long perChunk = staging.capacity() / stored.bytes;
    NDArray flat = TorchKernels.get().emptyBf16(n, manager);
    try {
      fill(flat, source, stored, n, perChunk);
      return flat.reshape(shape);
    } finally {
      flat.close();
    }
  }

  private void fill(NDArray flat, Source source, Stored stored, long n, long perChunk) {
    for (long at = 0; at < n; at += perChunk) {
      int count = (int) Math.min(perChunk, n - at);
      staging.clear().limit(count * stored.bytes);
      source.read(at * stored.bytes, staging);
      staging.flip();
      try (NDArray dst = flat.get(new NDIndex("{}:{}", at, at + count));
          NDArray raw = host.create(staging, new Shape(staging.limit()), DataType.UINT8)) {
        TorchKernels.get().copyFromBytes(dst, raw, stored.torchType);
      }
    }
  }

  @Override
  public void close() {
    host.close();
  }
}
