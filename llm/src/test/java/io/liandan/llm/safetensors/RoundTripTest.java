// Writer → reader round trips: values, shapes, metadata and the on-disk layout.
package io.liandan.llm.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RoundTripTest {

  @Test
  void float32AndInt64ComeBackUnchanged(@TempDir Path dir) {
    float[] w = {1f, -2.5f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN, -0f};
    long[] ids = {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, 151643};
    Path file = dir.resolve("t.safetensors");
    new SafetensorsWriter().put("w", w, 2, 3).put("ids", ids, 1, 6).write(file);

    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertEquals(List.of("w", "ids"), List.copyOf(f.tensors().keySet()));
      assertEquals(Dtype.F32, f.info("w").dtype());
      assertArrayEquals(new long[] {2, 3}, f.info("w").shape());
      assertEquals(Dtype.I64, f.info("ids").dtype());
      assertArrayEquals(new long[] {1, 6}, f.info("ids").shape());
      // Bit-exact, so NaN and -0 are checked too.
      float[] back = f.readFloat32("w");
      for (int i = 0; i < w.length; i++) {
        assertEquals(
            Float.floatToRawIntBits(w[i]), Float.floatToRawIntBits(back[i]), "w[" + i + "]");
      }
      assertArrayEquals(ids, f.readInt64("ids"));
      assertEquals(Map.of("format", "pt"), f.metadata());
    }
  }

  @Test
  void extraMetadataKeepsFormatPt(@TempDir Path dir) {
    Path file = dir.resolve("m.safetensors");
    new SafetensorsWriter().metadata("step", "12").put("x", new float[] {1}, 1).write(file);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertEquals("pt", f.metadata().get("format"));
      assertEquals("12", f.metadata().get("step"));
    }
  }

  @Test
  void layoutIsPaddedHeaderThenPackedLittleEndianData(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("l.safetensors");
    new SafetensorsWriter()
        .put("a", new float[] {1f, 2f, 3f}, 3)
        .put("b", new long[] {7}, 1)
        .write(file);
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    long n = b.getLong(0);
    assertEquals(0, n % 8, "header padded to 8 bytes");
    String header = new String(b.array(), 8, (int) n, "UTF-8");
    assertTrue(
        header.startsWith("{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\""),
        header);
    assertTrue(
        header.contains("\"data_offsets\":[0,12]") && header.contains("\"data_offsets\":[12,20]"),
        header);
    assertEquals(8 + n + 20, b.capacity(), "tightly packed");
    assertEquals(2f, b.getFloat((int) (8 + n + 4)));
    assertEquals(7L, b.getLong((int) (8 + n + 12)));
  }

  @Test
  void rawIsLittleEndianReadOnlyView(@TempDir Path dir) {
    Path file = dir.resolve("r.safetensors");
    new SafetensorsWriter().put("x", new float[] {0.5f, 4f}, 2).write(file);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      ByteBuffer raw = f.raw("x");
      assertEquals(ByteOrder.LITTLE_ENDIAN, raw.order());
      assertTrue(raw.isReadOnly());
      assertTrue(raw.isDirect());
      assertEquals(8, raw.remaining());
      assertEquals(4f, raw.getFloat(4));
    }
  }

  @Test
  void scalarsAndEmptyTensorsRoundTrip(@TempDir Path dir) {
    Path file = dir.resolve("s.safetensors");
    new SafetensorsWriter()
        .put("scalar", new float[] {3f})
        .put("empty", new float[0], 0, 5)
        .put("after", new long[] {9}, 1)
        .write(file);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertArrayEquals(new long[0], f.info("scalar").shape());
      assertArrayEquals(new float[] {3f}, f.readFloat32("scalar"));
      assertEquals(0, f.readFloat32("empty").length);
      assertArrayEquals(new long[] {9}, f.readInt64("after"));
    }
  }

  @Test
  void putRejectsDataThatDoesNotMatchShape() {
    SafetensorsWriter w = new SafetensorsWriter();
    var e = assertThrows(IllegalArgumentException.class, () -> w.put("q_proj", new float[5], 2, 3));
    assertTrue(
        e.getMessage().contains("q_proj") && e.getMessage().contains("[2, 3]"), e.getMessage());
    var raw =
        assertThrows(
            IllegalArgumentException.class,
            () -> w.putRaw("h", Dtype.BF16, ByteBuffer.allocate(7), 4));
    assertTrue(raw.getMessage().contains("'h'"), raw.getMessage());
    w.put("dup", new long[] {1}, 1);
    assertThrows(IllegalArgumentException.class, () -> w.put("dup", new long[] {1}, 1));
    assertThrows(IllegalArgumentException.class, () -> w.put("__metadata__", new float[1], 1));
  }

  @Test
  void successfulWriteLeavesNoTemporaryFilesAndReplacesOldFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("model.safetensors");
    new SafetensorsWriter().put("x", new float[] {1}, 1).write(file);
    new SafetensorsWriter().put("y", new float[] {2, 3}, 2).write(file);
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of(file), s.toList());
    }
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertEquals(List.of("y"), List.copyOf(f.tensors().keySet()));
    }
  }

  @Test
  void failedWriteLeavesNothingBehind(@TempDir Path dir) throws Exception {
    // The target is a non-empty folder, so the final rename fails after the data was written.
    Path target = dir.resolve("occupied");
    Files.createDirectories(target.resolve("inside"));
    assertThrows(
        java.io.UncheckedIOException.class,
        () -> new SafetensorsWriter().put("x", new float[] {1}, 1).write(target));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of(target), s.toList(), "no .tmp- file left");
    }
  }
}
