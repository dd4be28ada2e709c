package io.liandan.llm.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.liandan.llm.model.DecoderConfig;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.spec.LoraConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * LoRA targets on Phi-3's fused modules, whatever the oracle's draw: PEFT names them qkv_proj,
 * o_proj, gate_up_proj and down_proj, and a LoRA on the fused qkv_proj is one A (r × hidden) and
 * one B ((q + k + v) × r). (Numbers against PEFT: the oracle tier's phi3 case.)
 */
class Phi3LoraTargetsTest {
  // hidden 32, 4 query heads of 8, 2 key/value heads: qkv_proj has 32 + 2·16 = 64 rows
  static final DecoderConfig TINY =
      new DecoderConfig(
          "phi3", 64, 32, 24, 2, 4, 2, 64, 10000.0, 1e-5, false, 0.02, 1, List.of(2), "float32");

  @Test
  void allLinearResolvesToPhi3sFusedModules() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.random(TINY, 1, m)) {
      List<String> targets =
          LoraAdapter.targetedModules(LoraConfig.of(4, 8, 0, List.of("all-linear")), w);
      assertEquals(
          List.of(
              "model.layers.0.self_attn.qkv_proj",
              "model.layers.0.self_attn.o_proj",
              "model.layers.0.mlp.gate_up_proj",
              "model.layers.0.mlp.down_proj"),
          targets.subList(0, 4).stream().sorted(Phi3LoraTargetsTest::byRole).toList());
      assertEquals(8, targets.size(), "four per layer, no lm_head");
      assertTrue(targets.stream().noneMatch(t -> t.contains("lm_head")));
    }
  }

  @Test
  void aLoraOnFusedQkvIsOneAAndOneB() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.random(TINY, 1, m)) {
      LoraAdapter a = LoraAdapter.init(LoraConfig.of(4, 8, 0, List.of("qkv_proj")), w, 2);
      String q = "model.layers.0.self_attn.qkv_proj";
      assertEquals(
          List.of(
              q + ".lora_A.weight",
              q + ".lora_B.weight",
              "model.layers.1.self_attn.qkv_proj.lora_A.weight",
              "model.layers.1.self_attn.qkv_proj.lora_B.weight"),
          List.copyOf(a.parameters().keySet()));
      assertEquals(new Shape(4, 32), a.parameters().get(q + ".lora_A.weight").getShape());
      assertEquals(new Shape(64, 4), a.parameters().get(q + ".lora_B.weight").getShape());
      // the unfused names match nothing on a Phi-3 model: refused, not silently empty
      assertThrows(
          IllegalArgumentException.class,
          () -> LoraAdapter.targetedModules(LoraConfig.of(4, 8, 0, List.of("q_proj")), w));
    }
  }

  private static int byRole(String a, String b) {
    List<String> order = List.of("qkv_proj", "o_proj", "gate_up_proj", "down_proj");
    return Integer.compare(role(order, a), role(order, b));
  }

  private static int role(List<String> order, String module) {
    for (int i = 0; i < order.size(); i++) if (module.endsWith("." + order.get(i))) return i;
    return -1;
  }
}
