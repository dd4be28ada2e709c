package io.liandan.llm.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * NF4 round trips within the code book's resolution, packs as bitsandbytes, and is ~7.5× smaller.
 */
class Nf4QuantizerTest {

  static float[] gaussian(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      double u1 = 1 - r.nextDouble(), u2 = r.nextDouble();
      // a few large outliers too, so that blocks' absmax differ widely
      double scale = i % 97 == 0 ? 0.3 : 0.02;
      v[i] = (float) (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2) * scale);
    }
    return v;
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void roundTripErrorIsWithinHalfTheLargestGapTimesTheBlockAbsmax(boolean doubleQuant) {
    int rows = 37, cols = 50; // 1,850 values: the last of 29 blocks is padded
    float[] v = gaussian(rows * cols, 3);
    try (NDManager m = NDManager.newBaseManager();
        Nf4Tensor q = Nf4Quantizer.quantize(v, new Shape(rows, cols), doubleQuant, m)) {
      float[] back = q.dequantize(m, DataType.FLOAT32).toFloatArray();
      assertEquals(v.length, back.length);
      int blocks = (v.length + 63) / 64;
      float[] absmax = new float[blocks];
      for (int i = 0; i < v.length; i++) absmax[i / 64] = Math.max(absmax[i / 64], Math.abs(v[i]));
      // double quantization adds the 8-bit error of the block's absmax (≤ half the dynamic code's
      // largest gap times the largest |absmax - mean|), times |code| ≤ 1
      double dq = 0;
      if (doubleQuant) {
        double mean = 0;
        for (float a : absmax) mean += a / blocks;
        for (float a : absmax)
          dq = Math.max(dq, Math.abs(a - mean) * DynamicCode.largestGap() / 2 * (1 + 1e-5));
      }
      double halfGap = Nf4Quantizer.largestGap() / 2, worst = 0;
      for (int i = 0; i < v.length; i++) {
        double err = Math.abs(back[i] - v[i]);
        double bound = halfGap * absmax[i / 64] + dq + 1e-6 * absmax[i / 64];
        assertTrue(err <= bound, "element " + i + ": error " + err + " > " + bound);
        worst = Math.max(worst, err / absmax[i / 64]);
      }
      System.out.printf(
          "NF4 round trip (double quant %s): worst error / block absmax = %.4f (NF4's share of the"
              + " bound %.4f)%n",
          doubleQuant, worst, halfGap);
    }
  }

  @Test
  void codesPackTwoPerByteAndDecodeToTheCodeBook() {
    float[] v = new float[64];
    v[0] = -1f; // code 0
    v[1] = 1f; // code 15
    v[2] = 0.55f; // nearest 0.5626 → code 13 (0.5 would round down: the midpoint is 0.5017)
    try (NDManager m = NDManager.newBaseManager();
        Nf4Tensor q = Nf4Quantizer.quantize(v, new Shape(64), false, m)) {
      float[] back = q.dequantize(m, DataType.FLOAT32).toFloatArray();
      assertEquals(-1f, back[0]);
      assertEquals(1f, back[1]);
      assertEquals(0.5626170039176941f, back[2], 1e-7);
      assertEquals(0f, back[3], "zero is exact");
      assertEquals(32 + 4, q.bytes(), "32 bytes of codes + one float32 absmax");
    }
    assertEquals(0, Nf4Quantizer.nearest(-1f));
    assertEquals(7, Nf4Quantizer.nearest(0f));
    assertEquals(15, Nf4Quantizer.nearest(0.9f));
    assertEquals(0.30381, Nf4Quantizer.largestGap(), 1e-5, "between -1 and -0.696");
  }

  @Test
  void doubleQuantizationUsesBitsandbytesDynamicCode() {
    float[] c = DynamicCode.CODE;
    assertEquals(256, c.length);
    assertEquals(1f, c[255]);
    assertEquals(-0.99296875f, c[0], 1e-7, "the most negative: -(0.9859375 + 1) / 2");
    assertEquals(0f, c[java.util.Arrays.binarySearch(c, 0f)]);
    assertEquals(5.5e-7f, c[128], 1e-12, "smallest positive: 1e-6 · (0.1 + 1) / 2");
    for (int i = 1; i < c.length; i++) assertTrue(c[i] > c[i - 1], "sorted, no duplicates");
    assertEquals(0.9 / 64, DynamicCode.largestGap(), 1e-6);
    assertEquals(255, DynamicCode.nearest(0.999f));
    assertEquals(0, DynamicCode.nearest(-1f));
  }

  /**
   * Exactly nearest everywhere, dense near zero too (bitsandbytes' CPU kernel is not, up to 4 off).
   */
  @Test
  void dynamicCodeIndexIsTheNearestCode() {
    float[] c = DynamicCode.CODE;
    SplittableRandom r = new SplittableRandom(7);
    for (int n = 0; n < 200_000; n++) {
      float x = (float) ((r.nextDouble() * 2 - 1) * Math.pow(10, -r.nextInt(7)));
      int got = DynamicCode.nearest(x);
      for (float v : c) {
        assertTrue(
            Math.abs(x - c[got]) <= Math.abs(x - v), x + " → " + c[got] + ", " + v + " closer");
      }
    }
  }

  /** Qwen2.5-0.5B: hidden 896, 24 layers, 14 heads / 2 KV heads of 64, intermediate 4864. */
  @Test
  void linearsOfQwen25HalfBillionAreAboutSevenAndAHalfTimesSmaller() {
    long C = 896, I = 4864, q = 14 * 64, kv = 2 * 64;
    long[][] shapes = {{q, C}, {kv, C}, {kv, C}, {C, q}, {I, C}, {I, C}, {C, I}};
    long params = 0, nf4 = 0, nf4Dq = 0;
    for (long[] s : shapes) {
      long n = s[0] * s[1];
      params += 24 * n;
      nf4 += 24 * Nf4Quantizer.bytes(n, false);
      nf4Dq += 24 * Nf4Quantizer.bytes(n, true);
    }
    assertEquals(357_826_560L, params);
    double ratio = 4.0 * params / nf4, ratioDq = 4.0 * params / nf4Dq;
    System.out.printf(
        "0.5B linears: %d params, float32 %.1f MiB, NF4 %.1f MiB (%.2fx), NF4+double quant %.1f MiB"
            + " (%.2fx)%n",
        params,
        4.0 * params / (1 << 20),
        nf4 / (double) (1 << 20),
        ratio,
        nf4Dq / (double) (1 << 20),
        ratioDq);
    assertTrue(ratio > 7 && ratio < 8, "NF4 " + ratio);
    assertTrue(ratioDq > 7 && ratioDq < 8, "NF4 + double quant " + ratioDq);

    // the formula is what a real tensor of the largest shape holds
    float[] v = gaussian((int) (I * C), 11);
    try (NDManager m = NDManager.newBaseManager()) {
      for (boolean dq : new boolean[] {false, true}) {
        try (Nf4Tensor t = Nf4Quantizer.quantize(v, new Shape(I, C), dq, m)) {
          assertEquals(Nf4Quantizer.bytes(I * C, dq), t.bytes());
          NDArray back = t.dequantize(m, DataType.FLOAT32);
          assertEquals(new Shape(I, C), back.getShape());
        }
      }
    }
  }
}
