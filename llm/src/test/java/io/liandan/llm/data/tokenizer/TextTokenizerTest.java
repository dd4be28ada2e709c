package io.liandan.llm.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.llm.data.QwenFixture;
import io.liandan.llm.data.template.ChatTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real Qwen tokenizer against transformers' ids (expected_tokenizer.json). */
class TextTokenizerTest {
  private static TextTokenizer tok;

  @BeforeAll
  static void load() {
    tok = TextTokenizer.fromModelDir(QwenFixture.modelDir());
  }

  @AfterAll
  static void close() {
    tok.close();
  }

  @Test
  void runsOffline() {
    // surefire sets it; the tokenizers native library comes from the jar, nothing is downloaded
    assertEquals("true", System.getenv("DJL_OFFLINE"));
  }

  @Test
  void encodeMatchesTransformers() {
    for (JsonNode c : QwenFixture.expected().get("encode")) {
      String text = c.get("text").asText();
      long[] ids = tok.encode(text);
      assertArrayEquals(QwenFixture.ids(c.get("ids")), ids, text);
      assertEquals(text, tok.decode(ids), "round trip of " + text);
    }
  }

  @Test
  void renderedChatsEncodeToTransformersIds() {
    ChatTemplate template = ChatTemplate.fromModelDir(QwenFixture.modelDir());
    for (JsonNode c : QwenFixture.expected().get("chat")) {
      String text =
          template.render(
              QwenFixture.messages(c.get("messages")), c.get("add_generation_prompt").asBoolean());
      assertEquals(c.get("text").asText(), text);
      assertArrayEquals(QwenFixture.ids(c.get("ids")), tok.encode(text), text);
    }
  }

  @Test
  void batchEncodeIsUnpadded() {
    List<String> texts = new ArrayList<>();
    for (JsonNode c : QwenFixture.expected().get("encode")) {
      texts.add(c.get("text").asText());
    }
    List<long[]> batch = tok.encodeBatch(texts);
    for (int i = 0; i < texts.size(); i++) {
      assertArrayEquals(tok.encode(texts.get(i)), batch.get(i), texts.get(i));
    }
  }

  @Test
  void neverTruncates() {
    String text = "word ".repeat(3000);
    long[] ids = tok.encode(text);
    assertTrue(ids.length >= 3000, "got " + ids.length + " ids");
    assertEquals(text, tok.decode(ids));
    assertTrue(tok.encodeBatch(List.of(text, "hi")).get(0).length >= 3000);
  }

  @Test
  void specialTokens() {
    assertEquals(OptionalLong.of(151644), tok.tokenId("<|im_start|>"));
    assertEquals(OptionalLong.of(151645), tok.tokenId("<|im_end|>"));
    assertEquals(OptionalLong.of(151643), tok.tokenId("<|endoftext|>"));
    assertEquals(OptionalLong.of(9707), tok.tokenId("Hello")); // a vocabulary entry
    assertEquals(OptionalLong.empty(), tok.tokenId("<|no such token|>"));
    assertEquals(OptionalLong.of(151645), tok.eosTokenId());
    assertEquals(OptionalLong.of(151643), tok.padTokenId());
    assertEquals(OptionalLong.empty(), tok.bosTokenId());
    // decode keeps special tokens unless asked not to
    long[] ids = tok.encode("<|im_start|>user\nhi<|im_end|>");
    assertEquals("<|im_start|>user\nhi<|im_end|>", tok.decode(ids));
    assertEquals("user\nhi", tok.decode(ids, true));
  }

  @Test
  void eosWrittenAsAddedTokenObject(@TempDir Path dir) throws Exception {
    Files.copy(QwenFixture.modelDir().resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
    Files.writeString(
        dir.resolve("tokenizer_config.json"),
        """
        {"eos_token": {"__type": "AddedToken", "content": "<|im_end|>", "lstrip": false,
                       "normalized": false, "rstrip": false, "single_word": false},
         "pad_token": null, "model_max_length": 32768}
        """);
    try (TextTokenizer t = TextTokenizer.fromModelDir(dir)) {
      assertEquals(OptionalLong.of(151645), t.eosTokenId());
      assertEquals(OptionalLong.empty(), t.padTokenId());
      assertEquals("<|im_end|>", t.config().eosToken());
    }
  }
}
