package io.liandan.llm.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.llm.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The real Qwen tokenizer fixture (tokenizer.json kept gzipped in the repository, unpacked once
 * into target/) and transformers' reference output for it (expected_tokenizer.json).
 */
public final class QwenFixture {
  private QwenFixture() {}

  private static Path dir;

  /** A model folder with tokenizer.json and tokenizer_config.json. */
  public static synchronized Path modelDir() {
    if (dir == null) {
      try {
        Path target = Path.of("target", "fixtures", "qwen-tokenizer").toAbsolutePath();
        Files.createDirectories(target);
        Path src = Fixtures.path("qwen-tokenizer");
        try (InputStream in =
            new GZIPInputStream(Files.newInputStream(src.resolve("tokenizer.json.gz")))) {
          Files.copy(in, target.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.copy(
            src.resolve("tokenizer_config.json"),
            target.resolve("tokenizer_config.json"),
            StandardCopyOption.REPLACE_EXISTING);
        dir = target;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return dir;
  }

  /**
   * expected_tokenizer.json: {"chat": [{messages, add_generation_prompt, text, ids}], "encode":
   * [{text, ids}]}.
   */
  public static JsonNode expected() {
    try {
      return new ObjectMapper().readTree(Fixtures.path("expected_tokenizer.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static List<Message> messages(JsonNode array) {
    List<Message> messages = new ArrayList<>();
    for (JsonNode m : array) {
      messages.add(new Message(m.get("role").asText(), m.get("content").asText()));
    }
    return messages;
  }

  public static long[] ids(JsonNode array) {
    long[] ids = new long[array.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = array.get(i).asLong();
    }
    return ids;
  }
}
