package io.liandan.llm.data.tokenizer;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of a Hugging Face {@code tokenizer_config.json} that tokenisation and chat templates
 * use. Special tokens may be written as a string or as an AddedToken object ({"content": …}); both
 * read as their text. {@code chatTemplate} is a string, a list of {name, template}, or null.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TokenizerConfig(
    @JsonProperty("bos_token") @JsonDeserialize(using = TokenText.class) String bosToken,
    @JsonProperty("eos_token") @JsonDeserialize(using = TokenText.class) String eosToken,
    @JsonProperty("pad_token") @JsonDeserialize(using = TokenText.class) String padToken,
    @JsonProperty("unk_token") @JsonDeserialize(using = TokenText.class) String unkToken,
    @JsonProperty("sep_token") @JsonDeserialize(using = TokenText.class) String sepToken,
    @JsonProperty("cls_token") @JsonDeserialize(using = TokenText.class) String clsToken,
    @JsonProperty("mask_token") @JsonDeserialize(using = TokenText.class) String maskToken,
    @JsonProperty("additional_special_tokens") @JsonDeserialize(contentUsing = TokenText.class)
        List<String> additionalSpecialTokens,
    @JsonProperty("chat_template") Object chatTemplate,
    @JsonProperty("clean_up_tokenization_spaces") boolean cleanUpTokenizationSpaces) {

  public static final String FILE = "tokenizer_config.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  public TokenizerConfig {
    additionalSpecialTokens =
        additionalSpecialTokens == null ? List.of() : List.copyOf(additionalSpecialTokens);
  }

  /** A config with nothing set, for model folders without the file. */
  public static TokenizerConfig empty() {
    return new TokenizerConfig(null, null, null, null, null, null, null, null, null, false);
  }

  /** Reads {@code dir/tokenizer_config.json}, or an empty config if the folder has none. */
  public static TokenizerConfig read(Path dir) {
    Path file = dir.resolve(FILE);
    if (!Files.exists(file)) {
      return empty();
    }
    try {
      return JSON.readValue(file.toFile(), TokenizerConfig.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The special tokens as transformers passes them to chat templates ({@code
   * tokenizer.special_tokens_map}): only those that are set.
   */
  public Map<String, Object> specialTokensMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    putIfSet(m, "bos_token", bosToken);
    putIfSet(m, "eos_token", eosToken);
    putIfSet(m, "unk_token", unkToken);
    putIfSet(m, "sep_token", sepToken);
    putIfSet(m, "pad_token", padToken);
    putIfSet(m, "cls_token", clsToken);
    putIfSet(m, "mask_token", maskToken);
    if (!additionalSpecialTokens.isEmpty()) {
      m.put("additional_special_tokens", additionalSpecialTokens);
    }
    return m;
  }

  private static void putIfSet(Map<String, Object> m, String key, String value) {
    if (value != null) {
      m.put(key, value);
    }
  }

  /** A token written as "text" or as {"content": "text", …} (transformers' AddedToken). */
  static final class TokenText extends JsonDeserializer<String> {
    @Override
    public String deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      JsonNode node = p.readValueAsTree();
      if (node == null || node.isNull()) {
        return null;
      } else if (node.isTextual()) {
        return node.asText();
      } else if (node.isObject() && node.path("content").isTextual()) {
        return node.get("content").asText();
      }
      throw ctx.weirdStringException(node.toString(), String.class, "expected a token string");
    }
  }
}
