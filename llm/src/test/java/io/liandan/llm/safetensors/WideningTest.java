// Hand-made half-precision and narrow-integer tensors read back widened to exact values.
package io.liandan.llm.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WideningTest {

  static ByteBuffer shorts(int... v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int s : v) b.putShort((short) s);
    return b.flip();
  }

  static float[] read(Path dir, Dtype dtype, ByteBuffer data, long n) {
    Path file = dir.resolve(dtype + ".safetensors");
    new SafetensorsWriter().putRaw("t", dtype, data, n).write(file);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertEquals(dtype, f.info("t").dtype());
      return f.readFloat32("t");
    }
  }

  @Test
  void bf16WidensToTheExactFloat(@TempDir Path dir) {
    // 1.0, -2.5, 0.1 rounded to bf16, -inf, the smallest bf16 subnormal
    float[] v = read(dir, Dtype.BF16, shorts(0x3F80, 0xC020, 0x3DCD, 0xFF80, 0x0001), 5);
    assertArrayEquals(
        new float[] {1f, -2.5f, 0.10009765625f, Float.NEGATIVE_INFINITY, 0x1p-133f}, v);
  }

  @Test
  void f16WidensToTheExactFloat(@TempDir Path dir) {
    float[] v =
        read(
            dir,
            Dtype.F16,
            shorts(0x3C00, 0xC100, 0x2E66, 0x0001, 0x03FF, 0x8001, 0x7BFF, 0x7C00, 0xFC00, 0x8000),
            10);
    assertEquals(1f, v[0]);
    assertEquals(-2.5f, v[1]);
    assertEquals(0.0999755859375f, v[2]); // 0.1 in f16
    assertEquals(0x1p-24f, v[3]); // smallest subnormal
    assertEquals(1023 * 0x1p-24f, v[4]); // largest subnormal
    assertEquals(-0x1p-24f, v[5]);
    assertEquals(65504f, v[6]); // largest finite
    assertEquals(Float.POSITIVE_INFINITY, v[7]);
    assertEquals(Float.NEGATIVE_INFINITY, v[8]);
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(v[9]));
  }

  @Test
  void f16NanStaysNan(@TempDir Path dir) {
    assertTrue(Float.isNaN(read(dir, Dtype.F16, shorts(0x7E00), 1)[0]));
  }

  @Test
  void everyF16BitPatternMatchesTheReferenceConversion() {
    // Reference: scale the 11-bit significand by a power of two in double, exact for all halves.
    for (int h = 0; h < 0x10000; h++) {
      int exp = (h >>> 10) & 0x1f;
      int mant = h & 0x3ff;
      double mag =
          exp == 0x1f
              ? (mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN)
              : exp == 0 ? mant * Math.pow(2, -24) : (1024 + mant) * Math.pow(2, exp - 25);
      float expected = (float) ((h & 0x8000) != 0 ? -mag : mag);
      float got = HalfFloats.f16ToFloat((short) h);
      if (Float.isNaN(expected)) assertTrue(Float.isNaN(got), Integer.toHexString(h));
      else
        assertEquals(
            Float.floatToIntBits(expected), Float.floatToIntBits(got), Integer.toHexString(h));
    }
  }

  @Test
  void f64IsNarrowed(@TempDir Path dir) {
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    b.putDouble(0.1).putDouble(-1e300).flip();
    assertArrayEquals(new float[] {0.1f, Float.NEGATIVE_INFINITY}, read(dir, Dtype.F64, b, 2));
  }

  @Test
  void narrowIntegersWidenToInt64(@TempDir Path dir) {
    ByteBuffer i32 = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    i32.putInt(-7).putInt(Integer.MAX_VALUE).putInt(Integer.MIN_VALUE).flip();
    Path file = dir.resolve("ints.safetensors");
    new SafetensorsWriter()
        .putRaw("i32", Dtype.I32, i32, 3)
        .putRaw("i16", Dtype.I16, shorts(-2, 300), 2)
        .putRaw("i8", Dtype.I8, ByteBuffer.wrap(new byte[] {-1, 5}), 2)
        .putRaw("u8", Dtype.U8, ByteBuffer.wrap(new byte[] {-1, 5}), 2)
        .putRaw("bool", Dtype.BOOL, ByteBuffer.wrap(new byte[] {0, 1, 2}), 3)
        .write(file);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertArrayEquals(new long[] {-7, Integer.MAX_VALUE, Integer.MIN_VALUE}, f.readInt64("i32"));
      assertArrayEquals(new long[] {-2, 300}, f.readInt64("i16"));
      assertArrayEquals(new long[] {-1, 5}, f.readInt64("i8"));
      assertArrayEquals(new long[] {255, 5}, f.readInt64("u8"));
      assertArrayEquals(new long[] {0, 1, 1}, f.readInt64("bool"));
    }
  }

  @Test
  void largeTensorIsReadCompletely(@TempDir Path dir) {
    // Larger than the widening scratch array, so the chunk loops are exercised.
    int n = 300_000;
    ByteBuffer b = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) b.putShort((short) (0x3F80 + (i % 64)));
    float[] v = read(dir, Dtype.BF16, b.flip(), n);
    for (int i = 0; i < n; i++) {
      assertEquals(Float.intBitsToFloat((0x3F80 + (i % 64)) << 16), v[i], "element " + i);
    }
  }
}
