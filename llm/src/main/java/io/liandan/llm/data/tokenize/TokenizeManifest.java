package io.liandan.llm.data.tokenize;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.liandan.spec.TokenizeSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * What a tokenize stage produced, written as {@code manifest.json} next to the shards: per split
 * the shard names and counts, plus samples read, dropped (by reason), truncated, and samples per
 * source file — the numbers the tracker shows for a dataset.
 */
public record TokenizeManifest(
    String kind,
    TokenizeSpec spec,
    long samplesRead,
    long truncated,
    Map<String, Long> dropped,
    Map<String, Long> perSource,
    long packedRemainderTokens,
    Map<String, Split> splits) {

  /** One split's shards: samples, tokens, tokens the loss is taken on. */
  public record Split(List<String> shards, long samples, long tokens, long trainedTokens) {}

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public static final String FILE = "manifest.json";

  public void write(Path dir) {
    try {
      Path tmp = dir.resolve(FILE + ".tmp");
      JSON.writeValue(tmp.toFile(), this);
      Files.move(
          tmp,
          dir.resolve(FILE),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": cannot write " + FILE + ": " + e.getMessage(), e);
    }
  }

  public static TokenizeManifest read(Path dir) {
    try {
      return JSON.readValue(dir.resolve(FILE).toFile(), TokenizeManifest.class);
    } catch (IOException e) {
      throw new UncheckedIOException(dir.resolve(FILE) + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** The memory-mapped shards of split {@code name} ("train" or "eval"). */
  public TokenShards open(Path dir, String name) {
    Split s = splits.get(name);
    if (s == null) throw new IllegalArgumentException(dir + ": no split '" + name + "' in " + FILE);
    return new TokenShards(dir.resolve(name), s.shards());
  }
}
