package io.liandan.llm.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * NF4 as QLoRA (Dettmers et al. 2023) and bitsandbytes store frozen base weights: blocks of 64
 * values, each scaled by its absmax and rounded to the nearest of 16 normal-distribution quantiles,
 * two 4-bit codes per byte (the even element in the high nibble, as bitsandbytes packs them).
 * Optionally the float32 absmax scales are quantized again ("double quantization", as bitsandbytes'
 * compress_statistics): their mean is subtracted and they are stored as 8-bit indices into
 * bitsandbytes' dynamic code ({@link DynamicCode}) in blocks of 256, each with a float32 absmax.
 * Quantizing runs once per weight, in Java; dequantizing runs per forward in torch ({@link
 * Nf4Tensor}). Not here: FP4, 8-bit weights, compute on packed codes.
 */
public final class Nf4Quantizer {
  /** Values per absmax block (bitsandbytes' default for 4-bit). */
  public static final int BLOCK = 64;

  /** Absmax values per block of the second quantization (bitsandbytes' nested blocksize). */
  public static final int BLOCK2 = 256;

  /**
   * bitsandbytes' NF4 code book ({@code create_normal_map}, as hard-coded in its kernels): the
   * quantiles of N(0, 1) normalised to [-1, 1], with an exact zero.
   */
  public static final float[] CODE = {
    -1.0f,
    -0.6961928009986877f,
    -0.5250730514526367f,
    -0.39491748809814453f,
    -0.28444138169288635f,
    -0.18477343022823334f,
    -0.09105003625154495f,
    0.0f,
    0.07958029955625534f,
    0.16093020141124725f,
    0.24611230194568634f,
    0.33791524171829224f,
    0.44070982933044434f,
    0.5626170039176941f,
    0.7229568362236023f,
    1.0f
  };

  private Nf4Quantizer() {}

  /**
   * Largest distance between neighbouring codes: twice the worst rounding error per unit absmax.
   */
  public static double largestGap() {
    double g = 0;
    for (int i = 1; i < CODE.length; i++) g = Math.max(g, CODE[i] - CODE[i - 1]);
    return g;
  }

  /** Quantizes {@code w} (any shape, float32) into packed NF4 on {@code w}'s manager. */
  public static Nf4Tensor quantize(NDArray w, boolean doubleQuant) {
    return quantize(w.toFloatArray(), w.getShape(), doubleQuant, w.getManager());
  }

  /** Quantizes {@code values} of {@code shape}; the last block is padded with zeros. */
  public static Nf4Tensor quantize(
      float[] values, Shape shape, boolean doubleQuant, NDManager manager) {
    int blocks = (values.length + BLOCK - 1) / BLOCK;
    byte[] packed = new byte[blocks * BLOCK / 2];
    float[] absmax = new float[blocks];
    for (int b = 0; b < blocks; b++) {
      int from = b * BLOCK, to = Math.min(values.length, from + BLOCK);
      float max = 0;
      for (int i = from; i < to; i++) max = Math.max(max, Math.abs(values[i]));
      absmax[b] = max;
      float inv = max == 0 ? 0 : 1 / max;
      for (int i = from; i < from + BLOCK; i++) {
        int code = nearest(i < to ? values[i] * inv : 0f);
        packed[i / 2] |= (byte) ((i % 2 == 0) ? code << 4 : code);
      }
    }
    NDArray codes; // (blocks·32) uint8: torch's int8 → uint8 cast keeps the bits
    try (NDArray signed = manager.create(packed, new Shape(packed.length))) {
      codes = signed.toType(DataType.UINT8, false);
    }
    if (!doubleQuant) {
      return Nf4Tensor.of(shape, codes, manager.create(absmax), null, null, null);
    }
    return doubleQuantize(shape, codes, absmax, manager);
  }

  /** absmax → mean offset + an 8-bit dynamic code per value + a float32 absmax per 256 values. */
  private static Nf4Tensor doubleQuantize(
      Shape shape, NDArray codes, float[] absmax, NDManager manager) {
    double sum = 0;
    for (float a : absmax) sum += a;
    float offset = (float) (sum / absmax.length);
    int blocks2 = (absmax.length + BLOCK2 - 1) / BLOCK2;
    byte[] q = new byte[absmax.length];
    float[] scale = new float[blocks2];
    for (int b = 0; b < blocks2; b++) {
      int from = b * BLOCK2, to = Math.min(absmax.length, from + BLOCK2);
      float max = 0;
      for (int i = from; i < to; i++) max = Math.max(max, Math.abs(absmax[i] - offset));
      scale[b] = max;
      for (int i = from; i < to; i++) {
        q[i] = (byte) DynamicCode.nearest(max == 0 ? 0 : (absmax[i] - offset) / max);
      }
    }
    NDArray qAbsmax; // (blocks) uint8 indices into the dynamic code
    try (NDArray signed = manager.create(q, new Shape(q.length))) {
      qAbsmax = signed.toType(DataType.UINT8, false);
    }
    return Nf4Tensor.of(shape, codes, null, qAbsmax, manager.create(scale), manager.create(offset));
  }

  /** Index of the code nearest to {@code x} in [-1, 1]: midpoints between codes as thresholds. */
  static int nearest(float x) {
    int i = 0;
    while (i < CODE.length - 1 && x > (CODE[i] + CODE[i + 1]) / 2) i++;
    return i;
  }

  /**
   * Bytes NF4 needs for {@code n} values: 4 bits each, plus a float32 absmax per 64 — or, double
   * quantized, one byte per 64, a float32 per 256 of those and one offset.
   */
  public static long bytes(long n, boolean doubleQuant) {
    long blocks = (n + BLOCK - 1) / BLOCK;
    long codes = blocks * BLOCK / 2;
    if (!doubleQuant) return codes + 4 * blocks;
    return codes + blocks + 4 * ((blocks + BLOCK2 - 1) / BLOCK2) + 4;
  }
}
