package io.liandan.llm.model;

import ai.djl.ndarray.NDArray;
import io.liandan.llm.safetensors.Dtype;
import io.liandan.llm.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Saves a model folder in the Hugging Face layout that transformers' {@code from_pretrained} reads:
 * config.json, model.safetensors (or shards + index), and the tokenizer files of the model it came
 * from. The folder is assembled under a temporary name and renamed when complete.
 */
public final class CheckpointWriter {
  /** Files a model folder carries besides weights, copied so that the output is usable as is. */
  static final List<String> SIDE_FILES =
      List.of(
          "generation_config.json",
          "tokenizer.json",
          "tokenizer_config.json",
          "special_tokens_map.json",
          "vocab.json",
          "merges.txt",
          "added_tokens.json");

  /** transformers' default max_shard_size is 5 GB. */
  static final long MAX_SHARD_BYTES = 5_000_000_000L;

  private CheckpointWriter() {}

  /**
   * @param dtype "float32", "bfloat16" or "float16": what the tensors are stored as (training stays
   *     float32; Hub checkpoints are usually bfloat16)
   * @param sideFilesFrom a model folder whose tokenizer/generation files are copied; may be null
   */
  public static void save(DecoderWeights w, Path dir, String dtype, Path sideFilesFrom) {
    Dtype storage = storageDtype(dtype);
    if (w.quantized())
      throw new IllegalArgumentException(
          "the model's linear weights are NF4 (Q-LoRA): save the adapter, not the base");
    Path parent = dir.toAbsolutePath().getParent();
    Path tmp = parent.resolve("." + dir.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    try {
      if (Files.exists(dir) && !isEmptyDir(dir)) {
        throw new IllegalArgumentException(
            dir + ": already exists and is not empty; refusing to overwrite");
      }
      Files.createDirectories(parent);
      deleteRecursively(tmp);
      Files.createDirectories(tmp);
      SafetensorsWriter out = new SafetensorsWriter();
      for (Map.Entry<String, NDArray> e : w.tensors().entrySet()) {
        long[] shape = e.getValue().getShape().getShape();
        float[] data = e.getValue().toFloatArray();
        switch (storage) {
          case F32 -> out.put(e.getKey(), data, shape);
          case BF16 -> out.putRaw(e.getKey(), Dtype.BF16, toBf16(data), shape);
          default -> out.putRaw(e.getKey(), Dtype.F16, toF16(data), shape);
        }
      }
      out.writeSharded(tmp, MAX_SHARD_BYTES);
      Files.writeString(tmp.resolve("config.json"), w.config().withTorchDtype(dtype).toJson());
      if (sideFilesFrom != null) {
        for (String f : SIDE_FILES) {
          Path src = sideFilesFrom.resolve(f);
          if (Files.isRegularFile(src)) Files.copy(src, tmp.resolve(f));
        }
      }
      if (!Files.exists(tmp.resolve("generation_config.json")))
        Files.writeString(tmp.resolve("generation_config.json"), generationConfig(w.config()));
      if (Files.exists(dir)) Files.delete(dir);
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": cannot write the checkpoint: " + e.getMessage(), e);
    } finally {
      deleteRecursively(tmp);
    }
  }

  /** What save_pretrained writes when the model has no generation config: the config's ids. */
  static String generationConfig(DecoderConfig c) {
    var n = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    n.put("_from_model_config", true);
    if (c.bosTokenId() != null) n.put("bos_token_id", c.bosTokenId());
    var eos = n.putArray("eos_token_id");
    c.eosTokenIds().forEach(eos::add);
    return n.toPrettyString();
  }

  static Dtype storageDtype(String dtype) {
    return switch (dtype) {
      case "float32" -> Dtype.F32;
      case "bfloat16" -> Dtype.BF16;
      case "float16" -> Dtype.F16;
      default ->
          throw new IllegalArgumentException(
              "dtype '" + dtype + "' is not one of float32, bfloat16, float16");
    };
  }

  /** float32 → bfloat16 with round-to-nearest-even, as torch's .to(torch.bfloat16). */
  static ByteBuffer toBf16(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      int bits = Float.floatToRawIntBits(f);
      short h;
      if (Float.isNaN(f)) h = (short) 0x7fc0;
      else h = (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
      b.putShort(h);
    }
    return b.flip();
  }

  /** float32 → IEEE half with round-to-nearest-even (JDK 17 has no Float.floatToFloat16). */
  static ByteBuffer toF16(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) b.putShort(floatToHalf(f));
    return b.flip();
  }

  static short floatToHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xff;
    int mant = bits & 0x7fffff;
    if (exp == 0xff) return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
    int e = exp - 127 + 15;
    if (e >= 0x1f) return (short) (sign | 0x7c00); // overflow → infinity
    if (e <= 0) { // subnormal half or zero
      if (e < -10) return (short) sign;
      mant |= 0x800000;
      int shift = 14 - e;
      int half = mant >>> shift;
      int rem = mant & ((1 << shift) - 1), mid = 1 << (shift - 1);
      if (rem > mid || (rem == mid && (half & 1) == 1)) half++;
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >>> 13);
    int rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1))
      half++; // may carry into the exponent: correct
    return (short) (sign | half);
  }

  private static boolean isEmptyDir(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return false;
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  /** Deletes a folder and everything in it (nothing when absent); a file that resists fails. */
  public static void deleteRecursively(Path p) {
    if (!Files.exists(p)) return;
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(x);
    } catch (IOException e) {
      throw new UncheckedIOException(p + ": cannot delete: " + e.getMessage(), e);
    }
  }
}
