package io.liandan.llm.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Phi-3's config.json as the Hub serves it (resources configs/): Phi-3-mini-4k-instruct (sliding
 * window 2047, no scaling) and Phi-4-mini-instruct (partial rotary 0.75, longrope with a top-level
 * original length, GQA, tied). The Phi-4-mini file has the Hub's keys and list lengths (48 = 96 / 2
 * rotated dimensions); its long_factor values are a smooth stand-in series, not the Hub's numbers.
 */
class Phi3ConfigTest {

  static Path resource(String name) throws URISyntaxException {
    return Path.of(Phi3ConfigTest.class.getResource("/configs/" + name).toURI());
  }

  @Test
  void readsPhi3Mini4k(@TempDir Path dir) throws Exception {
    DecoderConfig c = DecoderConfig.load(resource("phi3-mini-4k-instruct.json"));
    assertTrue(c.fusedProjections());
    assertFalse(c.qkvBias() || c.outputBias());
    assertEquals(96, c.headDim());
    assertEquals(96, c.rotaryDim(), "no partial_rotary_factor: the whole head rotates");
    assertNull(c.ropeScaling());
    // Phi3Model masks with a sliding window whenever sliding_window is set, on every layer
    assertEquals(2047, c.attentionWindow());
    assertTrue(c.slidingLayer(0) && c.slidingLayer(31));
    assertEquals(List.of("Phi3ForCausalLM"), c.architectures());
    Map<String, Shape> shapes = DecoderWeights.expectedShapes(c);
    assertEquals(new Shape(3 * 3072, 3072), shapes.get("model.layers.0.self_attn.qkv_proj.weight"));
    assertEquals(new Shape(2 * 8192, 3072), shapes.get("model.layers.0.mlp.gate_up_proj.weight"));
    assertFalse(shapes.containsKey("model.layers.0.self_attn.q_proj.weight"));
    assertFalse(shapes.containsKey("model.layers.0.mlp.up_proj.weight"));
    Files.writeString(dir.resolve("config.json"), c.toJson());
    assertEquals(c, DecoderConfig.load(dir), "what a checkpoint declares reads back the same");
  }

  @Test
  void readsPhi4MiniPartialRotaryAndLongrope(@TempDir Path dir) throws Exception {
    DecoderConfig c = DecoderConfig.load(resource("phi4-mini-instruct.json"));
    assertEquals(128, c.headDim());
    assertEquals(96, c.rotaryDim(), "0.75 of 128");
    assertEquals(3, c.groups());
    assertTrue(c.tieWordEmbeddings());
    assertEquals(
        new Shape((24 + 2 * 8) * 128, 3072),
        DecoderWeights.expectedShapes(c).get("model.layers.0.self_attn.qkv_proj.weight"));
    DecoderConfig.RopeScaling s = c.ropeScaling();
    assertEquals("longrope", s.ropeType(), "the Hub's legacy 'type' key");
    assertEquals(4096, s.originalMaxPositionEmbeddings());
    assertEquals(32.0, s.factor(), "max_position_embeddings / original");
    // transformers: √(1 + ln(factor) / ln(original)) when the config gives no attention_factor
    assertEquals(Math.sqrt(1 + Math.log(32) / Math.log(4096)), s.attentionFactor(), 1e-12);
    assertEquals(48, s.shortFactor().size());
    assertEquals(48, s.longFactor().size());
    assertTrue(RopeScalings.lengthDependent(s));
    assertFalse(RopeScalings.grows(c, 4096), "short factors up to the original length");
    assertTrue(RopeScalings.grows(c, 4097), "long factors past it");
    Files.writeString(dir.resolve("config.json"), c.toJson());
    String written = Files.readString(dir.resolve("config.json"));
    // Phi3Config takes the top-level original length over the scaling's: it must be written there
    assertTrue(written.contains("\"original_max_position_embeddings\" : 4096"), written);
    assertEquals(c, DecoderConfig.load(dir));
  }

  @Test
  void refusesWhatPhi3DoesNotComputeByName(@TempDir Path dir) throws Exception {
    String mini = Files.readString(resource("phi3-mini-4k-instruct.json"));
    String phi4 = Files.readString(resource("phi4-mini-instruct.json"));
    assertRefused(
        dir,
        mini.replace(
            "\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2}"),
        "rope_type 'linear' is not supported for phi3");
    assertRefused(
        dir, phi4.replace("\"lm_head_bias\": false", "\"lm_head_bias\": true"), "lm_head_bias");
    assertRefused(
        dir, mini.replace("\"resid_pdrop\": 0.0", "\"resid_pdrop\": 0.1"), "resid_pdrop 0.1");
    assertRefused(
        dir,
        phi4.replace("\"partial_rotary_factor\": 0.75", "\"partial_rotary_factor\": 0.5"),
        "longrope factors have 48 entries, the rotary dimension 64 needs 32");
    assertRefused(
        dir,
        phi4.replace("\"partial_rotary_factor\": 0.75", "\"partial_rotary_factor\": 0.7"),
        "rotates 89 of head_dim 128");
    // the other families' attention rotates whole heads: a partial factor would be ignored there
    String llama = Files.readString(resource("phi3-mini-4k-instruct.json"));
    assertRefused(
        dir,
        llama
            .replace("\"model_type\": \"phi3\"", "\"model_type\": \"llama\"")
            .replace("\"rope_theta\"", "\"partial_rotary_factor\": 0.5, \"rope_theta\""),
        "partial_rotary_factor 0.5 is not supported for llama");
  }

  @Test
  void readsYarnAndDynamicAsTransformersDoes(@TempDir Path dir) throws Exception {
    String base =
        """
        {"model_type":"llama","vocab_size":64,"hidden_size":32,"intermediate_size":40,
         "num_hidden_layers":1,"num_attention_heads":4,"max_position_embeddings":64,
         "rope_theta":10000.0,"rope_scaling":%s}""";
    Files.writeString(
        dir.resolve("config.json"),
        base.formatted(
            "{\"rope_type\":\"yarn\",\"factor\":4.0,\"original_max_position_embeddings\":16,"
                + "\"mscale\":1.0,\"mscale_all_dim\":0.5}"));
    DecoderConfig.RopeScaling y = DecoderConfig.load(dir).ropeScaling();
    // attention_factor = mscale(factor, 1) / mscale(factor, 0.5), beta_fast/slow 32 and 1
    double m1 = 0.1 * Math.log(4) + 1, mHalf = 0.05 * Math.log(4) + 1;
    assertEquals(m1 / mHalf, y.attentionFactor(), 1e-12);
    assertEquals(32.0, y.betaFast());
    assertEquals(1.0, y.betaSlow());
    assertTrue(y.truncate());
    Files.writeString(
        dir.resolve("config.json"), base.formatted("{\"rope_type\":\"dynamic\",\"factor\":2.0}"));
    DecoderConfig d = DecoderConfig.load(dir);
    assertFalse(RopeScalings.grows(d, 64));
    assertTrue(RopeScalings.grows(d, 65));
    // NTK: theta · (factor · len / max − (factor − 1))^(rd / (rd − 2)); rd = 8
    assertEquals(
        10000.0 * Math.pow(2.0 * 80 / 64 - 1, 8.0 / 6), RopeScalings.dynamicTheta(d, 80), 1e-6);
    Files.writeString(dir.resolve("config.json"), d.toJson());
    assertEquals(d, DecoderConfig.load(dir));
    Files.writeString(dir.resolve("config.json"), base.formatted("{\"rope_type\":\"dynamic\"}"));
    var e = assertThrows(IllegalArgumentException.class, () -> DecoderConfig.load(dir));
    assertTrue(e.getMessage().contains("'dynamic' needs a factor"), e.getMessage());
  }

  private static void assertRefused(Path dir, String json, String expected) throws Exception {
    Files.writeString(dir.resolve("config.json"), json);
    var e = assertThrows(IllegalArgumentException.class, () -> DecoderConfig.load(dir));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
