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

class DecoderConfigTest {
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
    DecoderConfig c = DecoderConfig.load(dir);
    assertEquals(1_000_000.0, c.ropeTheta());
    assertEquals("bfloat16", c.torchDtype());
    assertEquals(64, c.headDim());
    assertEquals(7, c.groups());
    assertEquals(List.of(151645), c.eosTokenIds());
    assertTrue(c.tieWordEmbeddings());
  }

  @Test
  void readsTransformers5StyleAndRoundTrips(@TempDir Path dir) throws Exception {
    DecoderConfig c = DecoderConfig.load(Fixtures.path("qwen2-tiny-untied"));
    assertEquals(10000.0, c.ropeTheta());
    assertEquals("float32", c.torchDtype());
    Files.writeString(dir.resolve("config.json"), c.toJson());
    assertEquals(c, DecoderConfig.load(dir));
  }

  @Test
  void refusesOtherArchitecturesAndRopeScalingByName(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("config.json"), HUB_QWEN25.replace("\"qwen2\"", "\"phi\""));
    var e = assertThrows(IllegalArgumentException.class, () -> DecoderConfig.load(dir));
    assertTrue(
        e.getMessage().contains("config.json")
            && e.getMessage().contains("'phi'")
            && e.getMessage().contains("qwen2, llama, mistral, qwen3, gemma2, gemma3_text, phi3"),
        e.getMessage());
    Files.writeString(
        dir.resolve("config.json"),
        HUB_QWEN25.replace(
            "\"rope_theta\"",
            "\"rope_scaling\":{\"rope_type\":\"proportional\",\"factor\":4},\"rope_theta\""));
    e = assertThrows(IllegalArgumentException.class, () -> DecoderConfig.load(dir));
    assertTrue(e.getMessage().contains("proportional"), e.getMessage());
    Files.writeString(
        dir.resolve("config.json"),
        HUB_QWEN25.replace("\"num_key_value_heads\":2", "\"num_key_value_heads\":3"));
    e = assertThrows(IllegalArgumentException.class, () -> DecoderConfig.load(dir));
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

  /** gemma-2-2b-it's config.json as the Hub serves it: soft-caps, head_dim ≠ hidden / heads. */
  static final String HUB_GEMMA2 =
      """
      {"architectures":["Gemma2ForCausalLM"],"attention_bias":false,"attention_dropout":0.0,
       "attn_logit_softcapping":50.0,"bos_token_id":2,"cache_implementation":"hybrid",
       "eos_token_id":[1,107],"final_logit_softcapping":30.0,"head_dim":256,
       "hidden_act":"gelu_pytorch_tanh","hidden_activation":"gelu_pytorch_tanh","hidden_size":2304,
       "initializer_range":0.02,"intermediate_size":9216,"max_position_embeddings":8192,
       "model_type":"gemma2","num_attention_heads":8,"num_hidden_layers":26,"num_key_value_heads":4,
       "pad_token_id":0,"query_pre_attn_scalar":256,"rms_norm_eps":1e-06,"rope_theta":10000.0,
       "sliding_window":4096,"torch_dtype":"float32","transformers_version":"4.42.4",
       "use_cache":true,"vocab_size":256000}""";

  /** gemma-3-1b-it's: a local RoPE base, five sliding layers in six, q/k norms, no caps. */
  static final String HUB_GEMMA3 =
      """
      {"architectures":["Gemma3ForCausalLM"],"attention_bias":false,"attention_dropout":0.0,
       "attn_logit_softcapping":null,"bos_token_id":2,"cache_implementation":"hybrid",
       "eos_token_id":[1,106],"final_logit_softcapping":null,"head_dim":256,
       "hidden_activation":"gelu_pytorch_tanh","hidden_size":1152,"initializer_range":0.02,
       "intermediate_size":6912,"max_position_embeddings":32768,"model_type":"gemma3_text",
       "num_attention_heads":4,"num_hidden_layers":26,"num_key_value_heads":1,"pad_token_id":0,
       "query_pre_attn_scalar":256,"rms_norm_eps":1e-06,"rope_local_base_freq":10000,
       "rope_scaling":null,"rope_theta":1000000,"sliding_window":512,"sliding_window_pattern":6,
       "torch_dtype":"bfloat16","transformers_version":"4.50.0.dev0","use_cache":true,
       "vocab_size":262144}""";

  @Test
  void readsGemmasAsTransformersDoes(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("config.json"), HUB_GEMMA2);
    DecoderConfig g2 = DecoderConfig.load(dir);
    assertTrue(g2.gemma() && !g2.qkNorm() && !g2.qkvBias());
    assertEquals(256, g2.headDim());
    assertEquals(50.0, g2.attnLogitSoftcapping());
    assertEquals(30.0, g2.finalLogitSoftcapping());
    assertEquals(1 / 16.0, g2.attentionScale(), 1e-12);
    assertEquals(4096, g2.attentionWindow());
    // Gemma 2 slides on every other layer, from the first
    assertTrue(g2.slidingLayer(0) && !g2.slidingLayer(1) && g2.slidingLayer(24));
    assertEquals(10000.0, g2.localRopeTheta());
    assertEquals(List.of("Gemma2ForCausalLM"), g2.architectures());
    Files.writeString(dir.resolve("config.json"), g2.toJson());
    assertEquals(g2, DecoderConfig.load(dir), "what a checkpoint declares reads back the same");

    Files.writeString(dir.resolve("config.json"), HUB_GEMMA3);
    DecoderConfig g3 = DecoderConfig.load(dir);
    assertTrue(g3.gemma() && g3.qkNorm());
    assertEquals(null, g3.attnLogitSoftcapping());
    assertEquals(null, g3.finalLogitSoftcapping());
    assertEquals(1_000_000.0, g3.ropeTheta());
    assertEquals(10_000.0, g3.localRopeTheta());
    for (int i = 0; i < 26; i++)
      assertEquals(i % 6 != 5, g3.slidingLayer(i), "layer " + i + " of a 5:1 pattern");
    Files.writeString(dir.resolve("config.json"), g3.toJson());
    String written = Files.readString(dir.resolve("config.json"));
    assertTrue(written.contains("\"final_logit_softcapping\" : null"), written);
    assertEquals(g3, DecoderConfig.load(dir));

    // transformers 5 writes Gemma 3's RoPE per layer type
    String t5 =
        HUB_GEMMA3
            .replace("\"rope_local_base_freq\":10000,", "")
            .replace(
                "\"rope_scaling\":null,\"rope_theta\":1000000,",
                "\"rope_parameters\":{\"full_attention\":{\"rope_type\":\"linear\",\"factor\":8.0,"
                    + "\"rope_theta\":1000000.0},\"sliding_attention\":{\"rope_type\":\"default\","
                    + "\"rope_theta\":10000.0}},");
    DecoderConfig g3t5 = DecoderConfig.fromJson(DecoderConfig.JSON.readTree(t5), "g3");
    assertEquals(
        new DecoderConfig.RopeScaling("linear", 8.0, null, null, null), g3t5.ropeScaling());
    assertEquals(10_000.0, g3t5.localRopeTheta());
    assertEquals(1_000_000.0, g3t5.ropeTheta());

    for (String[] bad :
        new String[][] {
          {"\"hidden_activation\":\"gelu_pytorch_tanh\"", "\"hidden_activation\":\"gelu\"", "gelu"},
          {"\"sliding_window_pattern\":6", "\"layer_types\":[\"full_attention\"]", "layer_types"},
          {"\"use_cache\"", "\"use_bidirectional_attention\":true,\"use_cache\"", "bidirectional"},
          {"\"sliding_window\":512", "\"sliding_window\":0", "sliding_window"}
        }) {
      String json = HUB_GEMMA3.replace(bad[0], bad[1]);
      var e =
          assertThrows(
              IllegalArgumentException.class,
              () -> DecoderConfig.fromJson(DecoderConfig.JSON.readTree(json), "g3.json"),
              bad[1]);
      assertTrue(
          e.getMessage().contains("g3.json") && e.getMessage().contains(bad[2]), e.getMessage());
    }
  }

  @Test
  void readsEachFamilysSwitches(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("config.json"), HUB_LLAMA32);
    DecoderConfig llama = DecoderConfig.load(dir);
    assertEquals(
        new DecoderConfig.RopeScaling("llama3", 32.0, 1.0, 4.0, 8192), llama.ropeScaling());
    assertEquals(List.of("LlamaForCausalLM"), llama.architectures());
    assertTrue(!llama.qkvBias() && !llama.outputBias() && !llama.qkNorm());
    assertEquals(0, llama.attentionWindow());
    Files.writeString(dir.resolve("config.json"), llama.toJson()); // what a checkpoint declares
    assertEquals(llama, DecoderConfig.load(dir));

    DecoderConfig qwen2 = DecoderConfig.fromJson(DecoderConfig.JSON.readTree(HUB_QWEN25), "q");
    assertTrue(qwen2.qkvBias() && !qwen2.outputBias());
    assertEquals(
        0, qwen2.attentionWindow(), "Qwen2's sliding_window is off without use_sliding_window");

    String qwen3 =
        HUB_QWEN25
            .replace("\"qwen2\"", "\"qwen3\"")
            .replace("\"use_cache\"", "\"head_dim\":128,\"use_cache\"");
    DecoderConfig q3 = DecoderConfig.fromJson(DecoderConfig.JSON.readTree(qwen3), "q3");
    assertTrue(q3.qkNorm() && !q3.qkvBias());
    assertEquals(128, q3.headDim());

    String mistral =
        HUB_QWEN25
            .replace("\"qwen2\"", "\"mistral\"")
            .replace("\"sliding_window\":32768", "\"sliding_window\":4096");
    assertEquals(
        4096, DecoderConfig.fromJson(DecoderConfig.JSON.readTree(mistral), "m").attentionWindow());

    String mlpBias = HUB_LLAMA32.replace("\"mlp_bias\":false", "\"mlp_bias\":true");
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DecoderConfig.fromJson(DecoderConfig.JSON.readTree(mlpBias), "l"));
    assertTrue(e.getMessage().contains("mlp_bias"), e.getMessage());
  }
}
