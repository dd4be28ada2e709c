package io.liandan.llm.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.liandan.llm.safetensors.Dtype;
import io.liandan.llm.safetensors.SafetensorsFile;
import io.liandan.llm.safetensors.SafetensorsWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * libtorch's widening ({@link Widening}) gives every stored value the float32 that Java's exact
 * conversion gives: random bit patterns (subnormals, infinities, NaNs, -0 included) across many
 * chunks, with an odd count so that the last bf16 value has no partner in its int32 pair.
 */
class TorchWideningTest {
  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({"BF16, 1001, 64", "F16, 1001, 64", "F32, 1001, 64", "BF16, 7, 1024", "BF16, 1, 16"})
  void everyValueWidensAsJavasExactConversion(Dtype dtype, int n, int chunkBytes) {
    int size = dtype == Dtype.F32 ? 4 : 2;
    ByteBuffer data = ByteBuffer.allocate(n * size).order(ByteOrder.LITTLE_ENDIAN);
    SplittableRandom r = new SplittableRandom(n);
    for (int i = 0; i < n; i++) {
      int bits = r.nextInt();
      if (i == 0) bits = size == 2 ? 0x8000 : 0x80000000; // -0
      if (i == 1) bits = size == 2 ? 0x0001 : 0x00000001; // the smallest subnormal
      if (size == 2) data.putShort((short) bits);
      else data.putInt(bits);
    }
    Path file = dir.resolve("t.safetensors");
    new SafetensorsWriter().putRaw("t", dtype, data.flip(), n).write(file);
    try (SafetensorsFile f = SafetensorsFile.open(file);
        NDManager m = NDManager.newBaseManager();
        Widening w = new Widening(chunkBytes)) {
      float[] want = f.readFloat32("t"); // Java's exact conversion
      Widening.Stored stored = Widening.Stored.valueOf(dtype.name());
      NDArray got = w.toFloat32((at, dst) -> f.read("t", at, dst), stored, new Shape(n), m);
      assertEquals(new Shape(n), got.getShape());
      float[] g = got.toFloatArray();
      for (int i = 0; i < n; i++) {
        if (Float.isNaN(want[i])) {
          assertTrue(Float.isNaN(g[i]), dtype + " value " + i + ": NaN, got " + g[i]);
        } else {
          assertEquals(
              Float.floatToRawIntBits(want[i]),
              Float.floatToRawIntBits(g[i]),
              dtype + " value " + i + ": " + want[i] + ", got " + g[i]);
        }
      }
    }
  }
}
