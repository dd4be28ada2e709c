// Hugging Face checkpoint folders: single file, sharded with an index, and the fixture model.
package io.liandan.llm.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

  /** Five F32 tensors of 40 bytes each and one I64 tensor of 16 bytes. */
  static SafetensorsWriter sample() {
    SafetensorsWriter w = new SafetensorsWriter();
    for (int t = 0; t < 5; t++) {
      float[] v = new float[10];
      for (int i = 0; i < v.length; i++) v[i] = t * 100 + i;
      w.put("layer." + t + ".weight", v, 2, 5);
    }
    return w.put("ids", new long[] {3, 4}, 2);
  }

  static List<String> files(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void shardedWriteIsReadBackCompletely(@TempDir Path dir) throws Exception {
    sample().writeSharded(dir, 100);
    // 40+40 | 40+40 | 40+16
    assertEquals(
        List.of(
            "model-00001-of-00003.safetensors",
            "model-00002-of-00003.safetensors",
            "model-00003-of-00003.safetensors",
            "model.safetensors.index.json"),
        files(dir));
    JsonNode index =
        new ObjectMapper().readTree(dir.resolve("model.safetensors.index.json").toFile());
    assertEquals(5 * 40 + 16, index.get("metadata").get("total_size").asLong());
    assertEquals("model-00003-of-00003.safetensors", index.get("weight_map").get("ids").asText());

    try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
      List<String> expected = new ArrayList<>();
      for (int t = 0; t < 5; t++) expected.add("layer." + t + ".weight");
      expected.add("ids");
      assertEquals(expected, List.copyOf(c.names()));
      for (int t = 0; t < 5; t++) {
        String name = "layer." + t + ".weight";
        assertArrayEquals(new long[] {2, 5}, c.info(name).shape());
        float[] v = c.readFloat32(name);
        for (int i = 0; i < v.length; i++) assertEquals(t * 100 + i, v[i]);
        assertEquals(
            dir.resolve("model-0000" + (t / 2 + 1) + "-of-00003.safetensors"), c.fileOf(name));
        assertEquals(40, c.raw(name).remaining());
      }
      assertArrayEquals(new long[] {3, 4}, c.readInt64("ids"));
      assertFalse(c.has("lm_head.weight"));
      CheckpointException e =
          assertThrows(CheckpointException.class, () -> c.info("lm_head.weight"));
      assertTrue(e.getMessage().contains("lm_head.weight"), e.getMessage());
    }
    try (SafetensorsFile shard =
        SafetensorsFile.open(dir.resolve("model-00002-of-00003.safetensors"))) {
      assertEquals(Map.of("format", "pt"), shard.metadata());
    }
  }

  @Test
  void everythingInOneShardIsModelSafetensors(@TempDir Path dir) throws Exception {
    // A stale sharded save must not shadow or outlive the new single file.
    sample().writeSharded(dir, 100);
    sample().put("extra", new float[] {1}, 1).writeSharded(dir, 1L << 30);
    assertEquals(List.of("model.safetensors"), files(dir));
    try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
      assertEquals(7, c.names().size());
      assertEquals(dir.resolve("model.safetensors"), c.fileOf("extra"));
      // For an absent name, fileOf still names where it was looked for.
      assertEquals(dir.resolve("model.safetensors"), c.fileOf("absent"));
    }
  }

  @Test
  void openAcceptsTheFileItself(@TempDir Path dir) {
    Path file = dir.resolve("adapter_model.safetensors");
    new SafetensorsWriter().put("a", new float[] {2}, 1).write(file);
    try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(file)) {
      assertArrayEquals(new float[] {2}, c.readFloat32("a"));
      assertEquals(file, c.fileOf("a"));
    }
  }

  @Test
  void folderWithoutWeights(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("config.json"), "{}");
    assertOpenFails(dir, dir.toString(), "model.safetensors", "model.safetensors.index.json");
  }

  /** Opening {@code dir} fails with a message naming each of {@code parts}. */
  private static void assertOpenFails(Path dir, String... parts) {
    CheckpointException e =
        assertThrows(CheckpointException.class, () -> SafetensorsCheckpoint.open(dir));
    for (String p : parts) assertTrue(e.getMessage().contains(p), e.getMessage());
  }

  @Test
  void indexNamingATensorItsShardLacks(@TempDir Path dir) throws Exception {
    sample().writeSharded(dir, 100);
    Path index = dir.resolve("model.safetensors.index.json");
    Files.writeString(
        index,
        Files.readString(index).replace("\"ids\" : \"model-00003", "\"ids\" : \"model-00001"));
    assertOpenFails(dir, dir.resolve("model-00001-of-00003.safetensors").toString(), "'ids'");
  }

  @Test
  void indexPointingOutsideItsFolderIsRefused(@TempDir Path dir) throws Exception {
    Path model = Files.createDirectories(dir.resolve("model"));
    new SafetensorsWriter()
        .put("x", new float[] {1}, 1)
        .write(dir.resolve("elsewhere.safetensors"));
    Files.writeString(
        model.resolve("model.safetensors.index.json"),
        "{\"weight_map\":{\"x\":\"../elsewhere.safetensors\"}}");
    assertOpenFails(model, "'x'");
  }

  @Test
  void huggingFaceFixture() throws Exception {
    Path file =
        Path.of(getClass().getResource("/fixtures/qwen2-tiny-tied/model.safetensors").toURI());
    try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(file.getParent())) {
      TensorInfo embed = c.info("model.embed_tokens.weight");
      assertEquals(Dtype.F32, embed.dtype());
      assertArrayEquals(new long[] {1000, 64}, embed.shape());
      assertEquals(64_000, c.readFloat32("model.embed_tokens.weight").length);
      float[] norm = c.readFloat32("model.norm.weight");
      assertEquals(64, norm.length);
      for (float v : norm) assertTrue(Float.isFinite(v));
      assertFalse(c.has("lm_head.weight"), "tied model stores no lm_head");
    }
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertEquals("pt", f.metadata().get("format"));
      assertEquals(27 - 1, f.tensors().size());
    }
  }
}
