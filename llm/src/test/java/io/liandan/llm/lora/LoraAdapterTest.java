package io.liandan.llm.lora;

import static io.liandan.llm.Fixtures.assertMaxAbs;
import static io.liandan.llm.Fixtures.assertPeftGradients;
import static io.liandan.llm.Fixtures.assertRel;
import static io.liandan.llm.Fixtures.path;
import static io.liandan.llm.Fixtures.peftLiveName;
import static io.liandan.llm.Fixtures.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.liandan.llm.model.CheckpointWriter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.train.CausalLmLoss;
import io.liandan.spec.LoraConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA against PEFT: logits, merge, one SFT step's gradients and AdamW update, file format. */
class LoraAdapterTest {
  static final String BASE = "qwen2-tiny-untied";
  static final String LORA = BASE + "/lora";
  static final String STEP = LORA + "/expected_sft_step.safetensors";
  static final String LOGITS = LORA + "/expected_lora_logits.safetensors";

  /** The SFT step: loss, LoRA gradients (≤ 1e-4 rel) and one torch AdamW step (≤ 1e-4 rel). */
  @Test
  void sftStepGradientsAndAdamWMatchPeftAndTorch() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path(BASE), m);
        LoraAdapter lora = LoraAdapter.load(path(LORA), w)) {
      Decoder model = new Decoder(w);
      model.setHook(lora);
      Map<String, NDArray> params = lora.parameters();
      for (var e : params.entrySet()) { // the saved adapter is the state before the step
        assertMaxAbs(
            read(m, STEP, "before." + peftLiveName(e.getKey())), e.getValue(), 0, e.getKey());
      }
      AdamW opt = new AdamW(params, new AdamW.Hyper(0.9, 0.999, 1e-8, 0.01), m, n -> false);
      NDArray ids = read(m, STEP, "input_ids"), labels = read(m, STEP, "labels");
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray loss = CausalLmLoss.mean(model.forward(ids, null, true), labels);
        assertMaxAbs(read(m, STEP, "loss").reshape(), loss, 1e-5, "loss");
        gc.backward(loss);
      }
      assertPeftGradients(m, STEP, params, 1e-4);
      opt.step(1e-3);
      for (var e : params.entrySet()) {
        assertRel(
            read(m, STEP, "after_adamw." + peftLiveName(e.getKey())),
            e.getValue(),
            1e-4,
            "after " + e.getKey());
        assertEquals(0f, e.getValue().getGradient().abs().max().getFloat(), "gradient zeroed");
      }
      // the fixture's logits were taken after the step: they check the updated adapter
      try (NoGrad ng = new NoGrad()) {
        assertMaxAbs(
            read(m, LOGITS, "lora_logits"),
            model.forward(read(m, LOGITS, "input_ids"), null, false),
            1e-4,
            "lora logits");
        lora.mergeInto(w);
        model.setHook(null);
        assertMaxAbs(
            read(m, LOGITS, "merged_logits"),
            model.forward(read(m, LOGITS, "input_ids"), null, false),
            1e-4,
            "merged logits");
      }
    }
  }

  @Test
  void peftMergedCheckpointLoadsToPeftLogits() {
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = new NoGrad();
        DecoderWeights merged = DecoderWeights.load(path(BASE + "/merged"), m)) {
      NDArray logits = new Decoder(merged).forward(read(m, LOGITS, "input_ids"), null, false);
      assertMaxAbs(read(m, LOGITS, "merged_logits"), logits, 1e-4, "merged checkpoint");
    }
  }

  @Test
  void savedAdapterAndMergedCheckpointReloadToTheSameLogits(@TempDir Path tmp) throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = new NoGrad();
        DecoderWeights w = DecoderWeights.load(path(BASE), m);
        LoraAdapter lora = LoraAdapter.load(path(LORA), w)) {
      NDArray ids = read(m, LOGITS, "input_ids");
      Decoder model = new Decoder(w);
      model.setHook(lora);
      NDArray expected = model.forward(ids, null, false);
      lora.save(tmp.resolve("adapter"), "qwen2-tiny-untied");
      String cfg = Files.readString(tmp.resolve("adapter/adapter_config.json"));
      assertTrue(cfg.contains("\"peft_type\" : \"LORA\"") && cfg.contains("\"q_proj\""), cfg);
      try (LoraAdapter back = LoraAdapter.load(tmp.resolve("adapter"), w)) {
        model.setHook(back);
        assertMaxAbs(expected, model.forward(ids, null, false), 0, "reloaded adapter");
        back.setEnabled(false);
        NDArray base = model.forward(ids, null, false);
        assertTrue(
            io.liandan.llm.Fixtures.maxAbs(expected, base) > 1e-3, "disabled adapter = base model");
        back.mergeInto(w);
      }
      model.setHook(null);
      CheckpointWriter.save(w, tmp.resolve("merged"), "float32", path(BASE));
      try (DecoderWeights reloaded = DecoderWeights.load(tmp.resolve("merged"), m)) {
        assertMaxAbs(
            expected, new Decoder(reloaded).forward(ids, null, false), 1e-5, "merged reload");
      }
    }
  }

  @Test
  void freshAdapterLeavesTheModelUnchangedAndTargetsAllLinear() {
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = new NoGrad();
        DecoderWeights w = DecoderWeights.load(path(BASE), m)) {
      LoraConfig cfg = LoraConfig.of(4, 8, 0.1, List.of(LoraConfig.ALL_LINEAR));
      assertEquals(
          14, LoraAdapter.targetedModules(cfg, w).size()); // 7 linears × 2 layers, no lm_head
      try (LoraAdapter lora = LoraAdapter.init(cfg, w, 1)) {
        NDArray ids = read(m, LOGITS, "input_ids");
        Decoder model = new Decoder(w);
        NDArray before = model.forward(ids, null, false);
        model.setHook(lora);
        assertMaxAbs(before, model.forward(ids, null, false), 0, "B = 0 at init");
      }
    }
  }

  @Test
  void unsupportedPeftVariantsAreRefusedByName(@TempDir Path tmp) throws Exception {
    Files.writeString(
        tmp.resolve("adapter_config.json"),
        "{\"peft_type\":\"LORA\",\"r\":8,\"lora_alpha\":16,\"target_modules\":[\"q_proj\"],\"use_dora\":true}");
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LoraConfig.read(tmp.resolve("adapter_config.json")));
    assertTrue(
        e.getMessage().contains("adapter_config.json") && e.getMessage().contains("use_dora"),
        e.getMessage());
  }
}
