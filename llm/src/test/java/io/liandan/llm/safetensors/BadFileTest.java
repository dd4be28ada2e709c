// Broken safetensors files fail at open or read with a message naming the file and the tensor.
package io.liandan.llm.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class BadFileTest {

  /** A file with header {@code json} followed by {@code dataBytes} zero bytes. */
  static Path handWritten(Path file, String json, long dataBytes) throws Exception {
    byte[] h = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    Files.write(file, b.array());
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(8 + h.length + dataBytes);
    }
    return file;
  }

  /** A hand-written file fails to open with a message naming it and holding {@code parts}. */
  static void openFails(Path file, String header, long dataBytes, String... parts)
      throws Exception {
    handWritten(file, header, dataBytes);
    String message = fails(() -> SafetensorsFile.open(file), parts).getMessage();
    assertTrue(message.contains(file.toString()), "the file not named in: " + message);
  }

  static CheckpointException fails(Executable e, String... parts) {
    CheckpointException ex = assertThrows(CheckpointException.class, e);
    for (String p : parts) {
      assertTrue(ex.getMessage().contains(p), "'" + p + "' not in: " + ex.getMessage());
    }
    return ex;
  }

  @Test
  void truncatedFileNamesTheFirstTensorThatNoLongerFits(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("model.safetensors");
    new SafetensorsWriter()
        .put("model.embed_tokens.weight", new float[64], 16, 4)
        .put("model.norm.weight", new float[4], 4)
        .write(file);
    long size = Files.size(file);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(size - 10);
    }
    fails(
        () -> SafetensorsFile.open(file),
        file.toString(),
        "truncated",
        "'model.norm.weight'",
        "ends at byte " + size,
        "the file has " + (size - 10));
  }

  @Test
  void unknownDtype(@TempDir Path dir) throws Exception {
    openFails(
        dir.resolve("q.safetensors"),
        "{\"model.norm.weight\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,2]}}",
        2,
        "tensor 'model.norm.weight' has dtype Q4 that Liandan cannot read");
  }

  @Test
  void offsetsInconsistentWithShape(@TempDir Path dir) throws Exception {
    openFails(
        dir.resolve("o.safetensors"),
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[4,4],\"data_offsets\":[0,60]}}",
        64,
        "tensor 'x' shape [4, 4] needs 64 bytes but data_offsets give 60");
  }

  @Test
  void offsetsThatEndBeforeTheyBegin(@TempDir Path dir) throws Exception {
    openFails(
        dir.resolve("b.safetensors"),
        "{\"x\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}",
        8,
        "'x'",
        "[8, 4]");
  }

  @Test
  void headerLengthLargerThanTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("h.safetensors");
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(9999999);
    Files.write(file, b.array());
    fails(
        () -> SafetensorsFile.open(file),
        file.toString(),
        "header length 9999999 exceeds file size 16");
  }

  @Test
  void headerLengthWithTopBitSetIsShownUnsigned(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("u.safetensors");
    Files.write(file, ByteBuffer.allocate(16).putLong(0, -1L).array());
    fails(() -> SafetensorsFile.open(file), file.toString(), "18446744073709551615");
  }

  @Test
  void tooShortAndNotJson(@TempDir Path dir) throws Exception {
    Path tiny = Files.write(dir.resolve("tiny.safetensors"), new byte[3]);
    fails(() -> SafetensorsFile.open(tiny), tiny.toString(), "too short");
    Path garbage = handWritten(dir.resolve("g.safetensors"), "{\"x\": [1, 2", 0);
    fails(() -> SafetensorsFile.open(garbage), garbage.toString(), "not valid JSON");
    Path dup =
        handWritten(
            dir.resolve("d.safetensors"),
            "{\"x\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}",
            4);
    fails(() -> SafetensorsFile.open(dup), dup.toString(), "Duplicate field 'x'");
    Path missing = dir.resolve("nope.safetensors");
    fails(() -> SafetensorsFile.open(missing), missing.toString(), "no such file");
  }

  @Test
  void missingTensorAndWrongShapeAndWrongDtype(@TempDir Path dir) {
    Path file = dir.resolve("m.safetensors");
    new SafetensorsWriter().put("a", new float[6], 2, 3).put("ids", new long[2], 2).write(file);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      fails(
          () -> f.readFloat32("model.norm.weight"),
          file.toString(),
          "missing tensor 'model.norm.weight'");
      fails(() -> f.raw("nope"), file.toString(), "'nope'");
      fails(
          () -> f.expectShape("a", 3, 2),
          file.toString(),
          "tensor 'a' has shape [2, 3], expected [3, 2]");
      assertArrayEquals(new long[] {2, 3}, f.expectShape("a", 2, 3).shape());
      fails(() -> f.readFloat32("ids"), file.toString(), "'ids'", "I64");
      fails(() -> f.readInt64("a"), file.toString(), "'a'", "F32");
    }
  }

  @Test
  void tensorTooLargeToMapIsAClearError(@TempDir Path dir) throws Exception {
    // A sparse 2 GiB file: the header is consistent, only mapping it in one piece is impossible.
    long bytes = 1L << 31;
    Path file =
        handWritten(
            dir.resolve("big.safetensors"),
            "{\"big\":{\"dtype\":\"F32\",\"shape\":["
                + bytes / 4
                + "],\"data_offsets\":[0,"
                + bytes
                + "]}}",
            bytes);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      fails(() -> f.raw("big"), file.toString(), "'big'", String.valueOf(bytes));
    }
  }
}
