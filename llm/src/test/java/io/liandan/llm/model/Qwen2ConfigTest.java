package io.liandan.llm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.llm.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Qwen2ConfigTest {
  /** Qwen2.5-0.5B-Instruct's config.json as the Hub serves it (top-level rope_theta, bf16). */
  static final String HUB_QWEN25 =
      """
      {"architectures":["Qwen2ForCausalLM"],"attention_dropout":0.0,"bos_token_id":151643,
       "eos_token_id":151645,"hidden_act":"silu","hidden_size":896,"initializer_range":0.02,
       "intermediate_size":4864,"max_position_embeddings":32768,"max_window_layers":21,
       "model_type":"qwen2","num_attention_heads":14,"num_hidden_layers":24,"num_key_value_heads":2,
       "rms_norm_eps":1e-06,"rope_theta":1000000.0,"sliding_window":32768,"tie_word_embeddings":true,
       "torch_dtype":"bfloat16","transformers_version":"4.43.1","use_cache":true,
       "use_sliding_window":false,"vocab_size":151936}""";

  @Test
  void readsHubStyle(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("config.json"), HUB_QWEN25);
    Qwen2Config c = Qwen2Config.load(dir);
    assertEquals(1_000_000.0, c.ropeTheta());
    assertEquals("bfloat16", c.torchDtype());
    assertEquals(64, c.headDim());
    assertEquals(7, c.groups());
    assertEquals(List.of(151645), c.eosTokenIds());
    assertTrue(c.tieWordEmbeddings());
  }

  @Test
  void readsTransformers5StyleAndRoundTrips(@TempDir Path dir) throws Exception {
    Qwen2Config c = Qwen2Config.load(Fixtures.path("qwen2-tiny-untied"));
    assertEquals(10000.0, c.ropeTheta());
    assertEquals("float32", c.torchDtype());
    Files.writeString(dir.resolve("config.json"), c.toJson());
    assertEquals(c, Qwen2Config.load(dir));
  }

  @Test
  void refusesOtherArchitecturesAndRopeScalingByName(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("config.json"), HUB_QWEN25.replace("\"qwen2\"", "\"llama\""));
    var e = assertThrows(IllegalArgumentException.class, () -> Qwen2Config.load(dir));
    assertTrue(
        e.getMessage().contains("config.json") && e.getMessage().contains("llama"), e.getMessage());
    Files.writeString(
        dir.resolve("config.json"),
        HUB_QWEN25.replace(
            "\"rope_theta\"",
            "\"rope_scaling\":{\"rope_type\":\"yarn\",\"factor\":4},\"rope_theta\""));
    e = assertThrows(IllegalArgumentException.class, () -> Qwen2Config.load(dir));
    assertTrue(e.getMessage().contains("yarn"), e.getMessage());
    Files.writeString(
        dir.resolve("config.json"),
        HUB_QWEN25.replace("\"num_key_value_heads\":2", "\"num_key_value_heads\":3"));
    e = assertThrows(IllegalArgumentException.class, () -> Qwen2Config.load(dir));
    assertTrue(e.getMessage().contains("num_key_value_heads 3"), e.getMessage());
  }
}
