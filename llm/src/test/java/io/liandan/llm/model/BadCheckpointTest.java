package io.liandan.llm.model;

import static io.liandan.llm.Fixtures.path;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.liandan.llm.safetensors.CheckpointException;
import io.liandan.llm.safetensors.SafetensorsFile;
import io.liandan.llm.safetensors.SafetensorsWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A broken checkpoint fails with a message that names the file and the tensor. */
class BadCheckpointTest {
  static final String NORM = "model.layers.1.post_attention_layernorm.weight";

  /** A copy of the tiny model with {@code edit} applied to its tensors. */
  static Path copyWith(Path dir, String drop, String reshape) throws Exception {
    Files.copy(path("qwen2-tiny-tied/config.json"), dir.resolve("config.json"));
    SafetensorsWriter out = new SafetensorsWriter();
    try (SafetensorsFile f = SafetensorsFile.open(path("qwen2-tiny-tied/model.safetensors"))) {
      for (var e : f.tensors().values()) {
        if (e.name().equals(drop)) continue;
        float[] v = f.readFloat32(e.name());
        long[] shape = e.name().equals(reshape) ? new long[] {v.length / 2, 2} : e.shape();
        out.put(e.name(), v, shape);
      }
    }
    out.write(dir.resolve("model.safetensors"));
    return dir.resolve("model.safetensors");
  }

  static void assertNames(Exception e, String... parts) {
    for (String p : parts)
      assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
  }

  /** Loading the checkpoint in {@code dir} fails with a message naming each of {@code parts}. */
  static void assertLoadFails(Path dir, String... parts) {
    try (NDManager m = NDManager.newBaseManager()) {
      assertNames(
          assertThrows(CheckpointException.class, () -> DecoderWeights.load(dir, m)), parts);
    }
  }

  @Test
  void missingTensor(@TempDir Path dir) throws Exception {
    Path file = copyWith(dir, NORM, null);
    assertLoadFails(dir, file.toString(), NORM, "missing");
  }

  @Test
  void wrongShape(@TempDir Path dir) throws Exception {
    Path file = copyWith(dir, null, NORM);
    assertLoadFails(dir, file.toString(), NORM, "[32, 2]", "[64]");
  }

  @Test
  void truncatedFile(@TempDir Path dir) throws Exception {
    Path file = copyWith(dir, null, null);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 100);
    }
    assertLoadFails(dir, file.toString(), "truncated");
  }

  @Test
  void unknownDtype(@TempDir Path dir) throws Exception {
    Path file = copyWith(dir, null, null);
    byte[] bytes = Files.readAllBytes(file);
    String s = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
    int at = s.indexOf("\"model.norm.weight\":{\"dtype\":\"F32\"");
    assertTrue(at > 0, "fixture header layout changed");
    byte[] q = "Q4_".getBytes();
    System.arraycopy(q, 0, bytes, at + "\"model.norm.weight\":{\"dtype\":\"".length(), 3);
    Files.write(file, bytes);
    assertLoadFails(dir, file.toString(), "model.norm.weight", "Q4_");
  }
}
