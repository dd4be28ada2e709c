package io.liandan.llm.data.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.djl.util.Utils;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.liandan.llm.data.tokenize.TextEncoder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * A model folder's Hugging Face tokenizer ({@code tokenizer.json}, run by the Rust tokenizers
 * library through DJL) as dataset work needs it: {@code encode} is transformers' {@code tok(text,
 * add_special_tokens=False)} — no truncation (DJL's default cuts at 512), no padding, no BOS/EOS
 * added; special tokens written in the text ({@code <|im_start|>}) are recognised. Special token
 * names and ids come from {@code tokenizer_config.json} and {@code tokenizer.json}. Not a trainer
 * of tokenizers. Thread-safe; close it to free the native tokenizer.
 */
public final class TextTokenizer implements AutoCloseable {
  static {
    // The tokenizers jar carries the CPU native library for Linux, macOS and Windows. Online, on a
    // CUDA machine, DJL would instead look for a CUDA build and download it (it is not on Maven
    // Central); with DJL_OFFLINE=true it takes the CPU one. Tokenising needs no GPU: pin the CPU
    // build unless the user chose a flavor.
    if (Utils.getEnvOrSystemProperty("RUST_FLAVOR") == null) {
      System.setProperty("RUST_FLAVOR", "cpu");
    }
  }

  private final HuggingFaceTokenizer tokenizer;
  private final TokenizerConfig config;
  private final Map<String, Long> addedTokens; // content -> id, from tokenizer.json added_tokens
  private final Map<String, Long>
      vocab; // the model's vocabulary, when it is a map (BPE, WordPiece)

  private TextTokenizer(
      HuggingFaceTokenizer tokenizer,
      TokenizerConfig config,
      Map<String, Long> addedTokens,
      Map<String, Long> vocab) {
    this.tokenizer = tokenizer;
    this.config = config;
    this.addedTokens = addedTokens;
    this.vocab = vocab;
  }

  /** Loads {@code dir/tokenizer.json} and, if present, {@code dir/tokenizer_config.json}. */
  public static TextTokenizer fromModelDir(Path dir) {
    Path file = dir.resolve("tokenizer.json");
    if (!Files.exists(file)) {
      throw new IllegalArgumentException("no tokenizer.json in " + dir);
    }
    try {
      byte[] json = Files.readAllBytes(file);
      Map<String, Long> added = new HashMap<>();
      Map<String, Long> vocab = new HashMap<>();
      readTokenTables(json, added, vocab);
      HuggingFaceTokenizer tokenizer =
          HuggingFaceTokenizer.newInstance(
              new ByteArrayInputStream(json),
              Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
      return new TextTokenizer(tokenizer, TokenizerConfig.read(dir), added, vocab);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The ids of {@code text}, no special tokens added, never truncated. */
  public long[] encode(String text) {
    return tokenizer.encode(text, false, false).getIds();
  }

  /** {@link #encode} for many texts at once (in parallel, natively); no padding. */
  public List<long[]> encodeBatch(List<String> texts) {
    Encoding[] encodings = tokenizer.batchEncode(texts.toArray(String[]::new), false, false);
    List<long[]> ids = new ArrayList<>(encodings.length);
    for (Encoding e : encodings) {
      ids.add(e.getIds());
    }
    return ids;
  }

  /**
   * This tokenizer as the tokenize stage uses it: int ids, each token's char span in the text (for
   * completion-only masks), and the EOS id appended after pretraining documents.
   */
  public TextEncoder encoder() {
    long eos =
        eosTokenId()
            .orElseThrow(() -> new IllegalStateException("the tokenizer defines no eos_token"));
    return new TextEncoder() {
      @Override
      public int[] encode(String text) {
        return toInts(TextTokenizer.this.encode(text));
      }

      @Override
      public Encoded encodeWithSpans(String text) {
        Encoding e = tokenizer.encode(text, false, false);
        CharSpan[] spans = e.getCharTokenSpans();
        int[] toUtf16 = codePointToUtf16(text); // Rust's offsets count code points
        int[] starts = new int[spans.length], ends = new int[spans.length];
        for (int i = 0; i < spans.length; i++) {
          // special tokens carry no span in some builds: they sit where the previous token ended
          starts[i] =
              spans[i] == null ? (i == 0 ? 0 : ends[i - 1]) : at(toUtf16, spans[i].getStart());
          ends[i] = spans[i] == null ? starts[i] : at(toUtf16, spans[i].getEnd());
        }
        return new Encoded(toInts(e.getIds()), starts, ends);
      }

      @Override
      public List<int[]> encodeBatch(List<String> texts) {
        return TextTokenizer.this.encodeBatch(texts).stream().map(TextTokenizer::toInts).toList();
      }

      @Override
      public int eosId() {
        return Math.toIntExact(eos);
      }
    };
  }

  /** Java (UTF-16) index of each code point offset, or null when the two coincide. */
  static int[] codePointToUtf16(String text) {
    int n = text.codePointCount(0, text.length());
    if (n == text.length()) return null;
    int[] map = new int[n + 1];
    for (int cp = 0, i = 0; cp < n; cp++) {
      map[cp] = i;
      i += Character.charCount(text.codePointAt(i));
      map[cp + 1] = i;
    }
    return map;
  }

  private static int at(int[] map, int codePoint) {
    return map == null ? codePoint : map[codePoint];
  }

  private static int[] toInts(long[] ids) {
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
    return out;
  }

  /** The text of {@code ids}, special tokens included (transformers' default). */
  public String decode(long[] ids) {
    return decode(ids, false);
  }

  public String decode(long[] ids, boolean skipSpecialTokens) {
    String text = tokenizer.decode(ids, skipSpecialTokens);
    return config.cleanUpTokenizationSpaces() ? cleanUpTokenization(text) : text;
  }

  /** The id of a token written as-is, e.g. "<|im_end|>": an added token, or a vocabulary entry. */
  public OptionalLong tokenId(String token) {
    Long id = addedTokens.get(token);
    if (id == null) {
      id = vocab.get(token);
    }
    return id == null ? OptionalLong.empty() : OptionalLong.of(id);
  }

  /** The id of tokenizer_config.json's eos_token, if it names one. */
  public OptionalLong eosTokenId() {
    return idOf(config.eosToken());
  }

  /** The id of tokenizer_config.json's pad_token, if it names one. */
  public OptionalLong padTokenId() {
    return idOf(config.padToken());
  }

  /** The id of tokenizer_config.json's bos_token, if it names one. */
  public OptionalLong bosTokenId() {
    return idOf(config.bosToken());
  }

  public TokenizerConfig config() {
    return config;
  }

  private OptionalLong idOf(String token) {
    if (token == null) {
      return OptionalLong.empty();
    }
    OptionalLong id = tokenId(token);
    if (id.isEmpty()) {
      throw new IllegalStateException(
          "special token " + token + " of tokenizer_config.json is not in tokenizer.json");
    }
    return id;
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  /**
   * Reads {@code added_tokens} ([{id, content, …}]) and {@code model.vocab} ({token: id}; absent or
   * a list for Unigram models) from tokenizer.json, streaming past the rest (merges are large).
   */
  private static void readTokenTables(byte[] json, Map<String, Long> added, Map<String, Long> vocab)
      throws IOException {
    try (JsonParser p = new JsonFactory().createParser(json)) {
      expect(p.nextToken(), JsonToken.START_OBJECT);
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("added_tokens") && value == JsonToken.START_ARRAY) {
          while (p.nextToken() == JsonToken.START_OBJECT) {
            Long id = null;
            String content = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String name = p.currentName();
              p.nextToken();
              if (name.equals("id")) {
                id = p.getLongValue();
              } else if (name.equals("content")) {
                content = p.getText();
              } else {
                p.skipChildren();
              }
            }
            if (id != null && content != null) {
              added.put(content, id);
            }
          }
        } else if (field.equals("model") && value == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (name.equals("vocab") && v == JsonToken.START_OBJECT) {
              while (p.nextToken() == JsonToken.FIELD_NAME) {
                String token = p.currentName();
                p.nextToken();
                vocab.put(token, p.getLongValue());
              }
            } else {
              p.skipChildren();
            }
          }
        } else {
          p.skipChildren();
        }
      }
    }
  }

  private static void expect(JsonToken actual, JsonToken expected) throws IOException {
    if (actual != expected) {
      throw new IOException("tokenizer.json: expected " + expected + ", found " + actual);
    }
  }

  /** transformers' {@code clean_up_tokenization}, for tokenizers whose config asks for it. */
  private static String cleanUpTokenization(String text) {
    return text.replace(" .", ".")
        .replace(" ?", "?")
        .replace(" !", "!")
        .replace(" ,", ",")
        .replace(" ' ", "'")
        .replace(" n't", "n't")
        .replace(" 'm", "'m")
        .replace(" 's", "'s")
        .replace(" 've", "'ve")
        .replace(" 're", "'re");
  }
}
