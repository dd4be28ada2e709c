package io.liandan.llm.quant;

import java.util.Arrays;

/**
 * bitsandbytes' signed 8-bit dynamic code ({@code create_dynamic_map(signed=True,
 * max_exponent_bits=7, total_bits=8)}), with which it quantizes NF4's absmax scales in double
 * quantization: for exponents 10⁻⁶ … 10⁰, 2ⁱ fractions (midpoints of linspace(0.1, 1, 2ⁱ + 1)) on
 * either sign, plus 0 and 1 — 256 sorted values in [-1, 1], dense near zero. Computed in double and
 * rounded to float32 (bitsandbytes computes in float32; the values agree to float32 rounding).
 */
final class DynamicCode {
  static final float[] CODE = create();

  private DynamicCode() {}

  private static float[] create() {
    float[] data = new float[256];
    int n = 0;
    for (int i = 0; i < 7; i++) {
      int fractions = (1 << i) + 1;
      double exponent = Math.pow(10, -6 + i);
      for (int k = 0; k + 1 < fractions; k++) {
        double lo = 0.1 + 0.9 * k / (fractions - 1), hi = 0.1 + 0.9 * (k + 1) / (fractions - 1);
        float v = (float) (exponent * (lo + hi) / 2);
        data[n++] = v;
        data[n++] = -v;
      }
    }
    data[n++] = 0f;
    data[n++] = 1f;
    if (n != 256) throw new IllegalStateException("dynamic code has " + n + " values");
    Arrays.sort(data);
    return data;
  }

  /** Index of the code nearest to {@code x} in [-1, 1]. */
  static int nearest(float x) {
    int i = Arrays.binarySearch(CODE, x);
    if (i >= 0) return i;
    int hi = -i - 1; // first code above x
    if (hi == 0) return 0;
    if (hi == CODE.length) return CODE.length - 1;
    return x - CODE[hi - 1] <= CODE[hi] - x ? hi - 1 : hi;
  }

  /** Largest distance between neighbouring codes (near ±1: 0.9 / 64). */
  static double largestGap() {
    double g = 0;
    for (int i = 1; i < CODE.length; i++) g = Math.max(g, CODE[i] - CODE[i - 1]);
    return g;
  }
}
