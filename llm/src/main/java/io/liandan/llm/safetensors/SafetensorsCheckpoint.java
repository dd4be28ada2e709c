// A Hugging Face model's weights: one model.safetensors, or shards listed by an index file.
package io.liandan.llm.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * All weights of a checkpoint behind one name → tensor lookup, wherever they are stored. Opening
 * validates every file's header and that the index and the shards agree, so a broken download fails
 * at open with the file and tensor named, not halfway through loading a model.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
  public static final String SINGLE_FILE = "model.safetensors";
  public static final String INDEX_FILE = "model.safetensors.index.json";

  private final Path source;
  private final Map<String, SafetensorsFile> byTensor;
  private final List<SafetensorsFile> files;

  private SafetensorsCheckpoint(
      Path source, Map<String, SafetensorsFile> byTensor, List<SafetensorsFile> files) {
    this.source = source;
    this.byTensor = byTensor;
    this.files = files;
  }

  /**
   * Opens {@code path}: a folder holding {@value #SINGLE_FILE} or {@value #INDEX_FILE} (the single
   * file wins if both exist, as in transformers), a .safetensors file, or an index file itself.
   */
  public static SafetensorsCheckpoint open(Path path) {
    Path abs = path.toAbsolutePath();
    if (Files.isRegularFile(abs)) {
      return abs.getFileName().toString().endsWith(".index.json") ? sharded(abs) : single(abs);
    }
    if (!Files.isDirectory(abs)) {
      throw new CheckpointException(abs, "no such file or folder");
    }
    if (Files.isRegularFile(abs.resolve(SINGLE_FILE))) return single(abs.resolve(SINGLE_FILE));
    if (Files.isRegularFile(abs.resolve(INDEX_FILE))) return sharded(abs.resolve(INDEX_FILE));
    String hint =
        Files.exists(abs.resolve("pytorch_model.bin"))
                || Files.exists(abs.resolve("pytorch_model.bin.index.json"))
            ? " (only pytorch_model.bin weights are there; convert them to safetensors)"
            : "";
    throw new CheckpointException(
        abs, "no weights: neither " + SINGLE_FILE + " nor " + INDEX_FILE + " exists" + hint);
  }

  private static SafetensorsCheckpoint single(Path file) {
    SafetensorsFile f = SafetensorsFile.open(file);
    Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
    for (String name : f.tensors().keySet()) byTensor.put(name, f);
    return new SafetensorsCheckpoint(file, byTensor, List.of(f));
  }

  private static SafetensorsCheckpoint sharded(Path index) {
    Map<String, String> weightMap = readWeightMap(index);
    Path dir = index.getParent();
    Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
    Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, String> e : weightMap.entrySet()) {
        SafetensorsFile shard = shards.get(e.getValue());
        if (shard == null) {
          Path p = dir.resolve(e.getValue()).normalize();
          // The index comes from the internet; it must not point outside its folder.
          if (!p.startsWith(dir) || p.equals(dir)) {
            throw new CheckpointException(
                index,
                "weight_map puts tensor '"
                    + e.getKey()
                    + "' in '"
                    + e.getValue()
                    + "', which is not a file in the same folder");
          }
          if (!Files.isRegularFile(p)) {
            throw new CheckpointException(
                index,
                "weight_map puts tensor '" + e.getKey() + "' in shard " + p + ", which is missing");
          }
          shard = SafetensorsFile.open(p);
          shards.put(e.getValue(), shard);
        }
        if (!shard.has(e.getKey())) {
          throw new CheckpointException(
              shard.path(),
              "missing tensor '" + e.getKey() + "', which " + index.getFileName() + " puts here");
        }
        byTensor.put(e.getKey(), shard);
      }
    } catch (RuntimeException e) {
      for (SafetensorsFile f : shards.values()) {
        try {
          f.close();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
    return new SafetensorsCheckpoint(index, byTensor, new ArrayList<>(shards.values()));
  }

  private static Map<String, String> readWeightMap(Path index) {
    JsonNode root;
    try {
      root = Header.JSON.readTree(Files.readAllBytes(index));
    } catch (IOException e) {
      throw new CheckpointException(index, "cannot read the index: " + e.getMessage(), e);
    }
    JsonNode map = root == null ? null : root.get("weight_map");
    if (map == null || !map.isObject()) {
      throw new CheckpointException(index, "has no \"weight_map\" object");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : map.properties()) {
      if (!e.getValue().isTextual()) {
        throw new CheckpointException(
            index, "weight_map entry for tensor '" + e.getKey() + "' is not a file name");
      }
      out.put(e.getKey(), e.getValue().textValue());
    }
    return out;
  }

  /** What was opened: the .safetensors file, or the index file of a sharded checkpoint. */
  public Path source() {
    return source;
  }

  /** Every tensor name, in header order (single file) or weight_map order (sharded). */
  public Set<String> names() {
    return Collections.unmodifiableSet(byTensor.keySet());
  }

  public boolean has(String name) {
    return byTensor.containsKey(name);
  }

  /**
   * The file that holds {@code name}; for a name the checkpoint lacks, the file where it would have
   * been looked for ({@link #source()}), so error messages can always name a file.
   */
  public Path fileOf(String name) {
    SafetensorsFile f = byTensor.get(name);
    return f != null ? f.path() : source;
  }

  /**
   * @throws CheckpointException naming the file and tensor if the checkpoint lacks it
   */
  public TensorInfo info(String name) {
    return file(name).info(name);
  }

  /**
   * @see SafetensorsFile#expectShape
   */
  public TensorInfo expectShape(String name, long... shape) {
    return file(name).expectShape(name, shape);
  }

  /**
   * @see SafetensorsFile#readFloat32
   */
  public float[] readFloat32(String name) {
    return file(name).readFloat32(name);
  }

  /**
   * @see SafetensorsFile#readInt64
   */
  public long[] readInt64(String name) {
    return file(name).readInt64(name);
  }

  /**
   * @see SafetensorsFile#raw
   */
  public ByteBuffer raw(String name) {
    return file(name).raw(name);
  }

  /**
   * @see SafetensorsFile#read
   */
  public void read(String name, long offset, ByteBuffer dst) {
    file(name).read(name, offset, dst);
  }

  private SafetensorsFile file(String name) {
    SafetensorsFile f = byTensor.get(name);
    if (f == null) throw new CheckpointException(source, "missing tensor '" + name + "'");
    return f;
  }

  @Override
  public void close() {
    RuntimeException first = null;
    for (SafetensorsFile f : files) {
      try {
        f.close();
      } catch (RuntimeException e) {
        if (first == null) first = e;
        else first.addSuppressed(e);
      }
    }
    if (first != null) throw first;
  }

  @Override
  public String toString() {
    return "SafetensorsCheckpoint[" + source + ", " + byTensor.size() + " tensors]";
  }
}
