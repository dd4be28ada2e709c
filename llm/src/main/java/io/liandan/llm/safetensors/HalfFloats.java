// Widening of 16-bit floats (IEEE half and bfloat16) to float32.
package io.liandan.llm.safetensors;

/** Exact half → float conversions; Float.float16ToFloat only exists from JDK 20. */
final class HalfFloats {
  private HalfFloats() {}

  /** IEEE 754 binary16 (the low 16 bits of {@code h}) to float; every half is exact in float. */
  static float f16ToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      // Keep NaN payload bits so a NaN stays a NaN (and infinity stays infinity).
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      // Zero or subnormal: mant * 2^-24, which float represents exactly.
      float f = mant * 0x1p-24f;
      return sign != 0 ? -f : f;
    }
    // Rebias the exponent from 15 to 127.
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /** bfloat16 is the top half of a float32, so widening is a shift. */
  static float bf16ToFloat(short b) {
    return Float.intBitsToFloat((b & 0xffff) << 16);
  }

  /** Widens {@code in[0..count)} into {@code out[outOffset..)}. */
  static void f16ToFloat(short[] in, int count, float[] out, int outOffset) {
    for (int i = 0; i < count; i++) out[outOffset + i] = f16ToFloat(in[i]);
  }

  /** Widens {@code in[0..count)} into {@code out[outOffset..)}. */
  static void bf16ToFloat(short[] in, int count, float[] out, int outOffset) {
    for (int i = 0; i < count; i++) out[outOffset + i] = bf16ToFloat(in[i]);
  }
}
