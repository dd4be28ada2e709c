package io.liandan.llm.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.liandan.llm.demo.DemoData;
import io.liandan.llm.safetensors.CheckpointException;
import io.liandan.llm.safetensors.SafetensorsCheckpoint;
import io.liandan.llm.safetensors.SafetensorsWriter;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading reads several tensors at once (and a sharded checkpoint's files side by side): the
 * weights are those stored, in checkpoint order, progress only grows and ends at the total, and a
 * bad shard fails the load with its file named, every tensor read so far closed.
 */
class ParallelLoadTest {

  /** A mini Qwen2 saved in bfloat16 and re-written as shards of at most ~20 KB. */
  private static Path sharded(Path tmp, NDManager m) throws Exception {
    DecoderConfig c = DemoData.miniConfig(96, 95, "qwen2");
    Path single = tmp.resolve("single"), out = tmp.resolve("sharded");
    try (DecoderWeights w = DecoderWeights.random(c, 5, m)) {
      CheckpointWriter.save(w, single, "bfloat16", null);
    }
    SafetensorsWriter shards = new SafetensorsWriter();
    try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(single)) {
      for (String name : ckpt.names())
        shards.putRaw(name, ckpt.info(name).dtype(), ckpt.raw(name), ckpt.info(name).shape());
    }
    Files.createDirectories(out);
    shards.writeSharded(out, 20_000);
    Files.copy(single.resolve("config.json"), out.resolve("config.json"));
    return out;
  }

  @Test
  void loadsTheStoredWeightsInOrderWithGrowingProgress(@TempDir Path tmp) throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      Path dir = sharded(tmp, m);
      long shardFiles;
      try (var files = Files.list(dir)) {
        shardFiles = files.filter(p -> p.toString().endsWith(".safetensors")).count();
      }
      assertTrue(shardFiles > 3, "a checkpoint of several shards: " + shardFiles);
      List<long[]> calls = new ArrayList<>();
      try (DecoderWeights w =
              DecoderWeights.load(dir, m, (done, total) -> calls.add(new long[] {done, total}));
          SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
        assertEquals(List.copyOf(DecoderWeights.expectedShapes(w.config()).keySet()), order(w));
        for (Map.Entry<String, NDArray> e : w.tensors().entrySet())
          assertArrayEquals(
              ckpt.readFloat32(e.getKey()), e.getValue().toFloatArray(), 0f, e.getKey());
        assertEquals(w.tensors().size(), calls.size(), "one progress call a tensor");
        for (int i = 1; i < calls.size(); i++)
          assertTrue(calls.get(i)[0] > calls.get(i - 1)[0], "progress grows");
        long[] last = calls.get(calls.size() - 1);
        assertEquals(last[1], last[0], "the last call reports everything");
      }
    }
  }

  @Test
  void aTruncatedShardFailsTheLoadNamingItsFile(@TempDir Path tmp) throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      Path dir = sharded(tmp, m);
      Path shard = dir.resolve("model-00002-of-" + total(dir) + ".safetensors");
      try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
        f.setLength(f.length() - 100);
      }
      RuntimeException e =
          assertThrows(RuntimeException.class, () -> DecoderWeights.load(dir, m).close());
      assertTrue(
          e instanceof CheckpointException
              && e.getMessage().contains(shard.getFileName().toString()),
          e.toString());
    }
  }

  private static List<String> order(DecoderWeights w) {
    return List.copyOf(w.tensors().keySet());
  }

  /** The "NNNNN" of model-0000k-of-NNNNN.safetensors. */
  private static String total(Path dir) throws Exception {
    try (var files = Files.list(dir)) {
      String any =
          files
              .map(p -> p.getFileName().toString())
              .filter(n -> n.startsWith("model-"))
              .findFirst()
              .orElseThrow();
      return any.substring(any.indexOf("-of-") + 4, any.indexOf(".safetensors"));
    }
  }
}
