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
    Files.writeString(dir.resolve("config.json"), HUB_QWEN25.replace("\"qwen2\"", "\"gemma2\""));
    var e = assertThrows(IllegalArgumentException.class, () -> Qwen2Config.load(dir));
    assertTrue(
        e.getMessage().contains("config.json")
            && e.getMessage().contains("gemma2")
            && e.getMessage().contains("qwen2, llama, mistral, qwen3"),
        e.getMessage());
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

  /** Llama-3.2-1B's config.json as the Hub serves it: llama3 RoPE scaling, no biases, tied. */
  static final String HUB_LLAMA32 =
      """
      {"architectures":["LlamaForCausalLM"],"attention_bias":false,"attention_dropout":0.0,
       "bos_token_id":128000,"eos_token_id":128001,"head_dim":64,"hidden_act":"silu",
       "hidden_size":2048,"initializer_range":0.02,"intermediate_size":8192,
       "max_position_embeddings":131072,"mlp_bias":false,"model_type":"llama",
       "num_attention_heads":32,"num_hidden_layers":16,"num_key_value_heads":8,"pretraining_tp":1,
       "rms_norm_eps":1e-05,"rope_scaling":{"factor":32.0,"high_freq_factor":4.0,
       "low_freq_factor":1.0,"original_max_position_embeddings":8192,"rope_type":"llama3"},
       "rope_theta":500000.0,"tie_word_embeddings":true,"torch_dtype":"bfloat16",
       "transformers_version":"4.45.0.dev0","use_cache":true,"vocab_size":128256}""";

  @Test
  void readsEachFamilysSwitches(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("config.json"), HUB_LLAMA32);
    Qwen2Config llama = Qwen2Config.load(dir);
    assertEquals(new Qwen2Config.RopeScaling("llama3", 32.0, 1.0, 4.0, 8192), llama.ropeScaling());
    assertEquals(List.of("LlamaForCausalLM"), llama.architectures());
    assertTrue(!llama.qkvBias() && !llama.outputBias() && !llama.qkNorm());
    assertEquals(0, llama.attentionWindow());
    Files.writeString(dir.resolve("config.json"), llama.toJson()); // what a checkpoint declares
    assertEquals(llama, Qwen2Config.load(dir));

    Qwen2Config qwen2 = Qwen2Config.fromJson(Qwen2Config.JSON.readTree(HUB_QWEN25), "q");
    assertTrue(qwen2.qkvBias() && !qwen2.outputBias());
    assertEquals(
        0, qwen2.attentionWindow(), "Qwen2's sliding_window is off without use_sliding_window");

    String qwen3 =
        HUB_QWEN25
            .replace("\"qwen2\"", "\"qwen3\"")
            .replace("\"use_cache\"", "\"head_dim\":128,\"use_cache\"");
    Qwen2Config q3 = Qwen2Config.fromJson(Qwen2Config.JSON.readTree(qwen3), "q3");
    assertTrue(q3.qkNorm() && !q3.qkvBias());
    assertEquals(128, q3.headDim());

    String mistral =
        HUB_QWEN25
            .replace("\"qwen2\"", "\"mistral\"")
            .replace("\"sliding_window\":32768", "\"sliding_window\":4096");
    assertEquals(
        4096, Qwen2Config.fromJson(Qwen2Config.JSON.readTree(mistral), "m").attentionWindow());

    String mlpBias = HUB_LLAMA32.replace("\"mlp_bias\":false", "\"mlp_bias\":true");
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Qwen2Config.fromJson(Qwen2Config.JSON.readTree(mlpBias), "l"));
    assertTrue(e.getMessage().contains("mlp_bias"), e.getMessage());
  }
}
