package io.liandan.llm.oracle;

import static io.liandan.llm.Fixtures.assertMaxAbs;
import static io.liandan.llm.Fixtures.read;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.llm.Fixtures;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.CheckpointWriter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.safetensors.SafetensorsWriter;
import io.liandan.llm.stage.AdapterBase;
import io.liandan.llm.stage.ModelLoader;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.train.CausalLmLoss;
import io.liandan.spec.LoraConfig;
import io.liandan.spec.ModelSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What Liandan writes, read by the reference: PEFT's {@code PeftModel.from_pretrained} loads an
 * adapter Liandan trained (one step from PEFT's init, so B ≠ 0) and transformers loads the merged
 * checkpoint Liandan wrote in float32 and in bfloat16; each must give Liandan's logits (≤ 1e-4).
 */
class OracleRoundTripTest {
  static final String[] KEYS = {"peft", "merged-float32", "merged-bfloat16", "dpo"};

  @Test
  void peftAndTransformersLoadWhatLiandanWrites() {
    Oracle o = Oracle.get();
    for (JsonNode c : o.cases) o.inCase(c, "writing", () -> write(o, c));
    o.python("check", "--out", o.dir.toString());
    for (JsonNode c : o.cases) {
      o.inCase(
          c,
          "round trip",
          () -> {
            Path d = o.dir(c).resolve("liandan");
            try (NDManager m = NDManager.newBaseManager()) {
              for (String k : KEYS)
                assertMaxAbs(
                    read(m, d.resolve("liandan_logits.safetensors"), k),
                    read(m, d.resolve("hf_logits.safetensors"), k),
                    1e-4,
                    k + " logits, Liandan's vs the reference's");
            }
          });
    }
  }

  /**
   * Trains a fresh adapter one step (lr 0.1), saves it, merges it and saves the merged model twice,
   * and records the logits Liandan gets from each (the bf16 one as Liandan reads it back).
   */
  static void write(Oracle o, JsonNode c) {
    Path d = o.dir(c).resolve("liandan"), model = o.dir(c).resolve("model");
    CheckpointWriter.deleteRecursively(d); // a replayed seed writes again
    Path step = o.dir(c).resolve("lora_step.safetensors");
    JsonNode l = c.get("lora");
    List<String> targets = new ArrayList<>();
    if (l.get("targets").isArray()) l.get("targets").forEach(t -> targets.add(t.asText()));
    else targets.add(l.get("targets").asText());
    LoraConfig cfg = LoraConfig.of(l.get("r").asInt(), l.get("alpha").asDouble(), 0, targets);
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(model, m);
        LoraAdapter lora = LoraAdapter.init(cfg, w, c.get("seed").asLong())) {
      Decoder net = new Decoder(w);
      net.setHook(lora);
      try (AdamW opt = new AdamW(lora.parameters(), AdamW.Hyper.defaults(0.0), m, n -> false)) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray ids = read(m, step, "input_ids");
          NDArray logits = net.forward(ids, read(m, step, "attention_mask"), true);
          gc.backward(CausalLmLoss.mean(logits, read(m, step, "labels")));
        }
        // lr 0.1: AdamW's first step moves each entry by ~lr, and at 1e-2 a one-layer model with
        // LoRA on gate/up only moved its logits less than 1e-3 (seed 843166775, case2)
        opt.step(0.1);
      }
      SafetensorsWriter out = new SafetensorsWriter(), inputs = new SafetensorsWriter();
      try (NoGrad ng = new NoGrad()) {
        NDArray ids = read(m, o.dir(c).resolve("peft_trained_logits.safetensors"), "input_ids");
        NDArray adapted = net.forward(ids, null, false);
        lora.setEnabled(false);
        NDArray base = net.forward(ids, null, false);
        lora.setEnabled(true);
        double moved = Fixtures.maxAbs(base, adapted);
        assertTrue(moved > 1e-3, "the trained adapter changes logits by " + moved + " only");
        lora.save(d.resolve("adapter"), model.toString());
        put(out, "peft", adapted);
        lora.mergeInto(w);
        net.setHook(null);
        CheckpointWriter.save(w, d.resolve("merged-float32"), "float32", model);
        put(out, "merged-float32", net.forward(ids, null, false));
        CheckpointWriter.save(w, d.resolve("merged-bfloat16"), "bfloat16", model);
        try (DecoderWeights bf16 = DecoderWeights.load(d.resolve("merged-bfloat16"), m)) {
          put(out, "merged-bfloat16", new Decoder(bf16).forward(ids, null, false));
        }
        put(out, "dpo", secondStage(c, model, d, cfg, ids));
        inputs.put("input_ids", ids.toLongArray(), ids.getShape().getShape());
      }
      out.write(d.resolve("liandan_logits.safetensors"));
      inputs.write(d.resolve("inputs.safetensors")); // what oracle.py check reads
    }
  }

  /**
   * A second adapter on top of the first, as DPO trains after SFT-LoRA, saved the way the stage
   * saves it ({@link AdapterBase}): PEFT on its base_model_name_or_path must give its logits.
   */
  static NDArray secondStage(JsonNode c, Path model, Path d, LoraConfig cfg, NDArray ids) {
    ModelSource source = ModelSource.of(model).withAdapter(d.resolve("adapter"));
    NDManager m = ids.getManager();
    try (DecoderWeights w = ModelLoader.load(source, m, 0);
        LoraAdapter second = LoraAdapter.init(cfg, w, c.get("seed").asLong() + 1)) {
      for (var e : second.parameters().entrySet()) // B ≠ 0, as after training
      if (e.getKey().endsWith("lora_B.weight"))
          e.getValue().addi(m.randomNormal(e.getValue().getShape()).muli(0.05f));
      String base = AdapterBase.resolve(source, w, d.resolve("dpo"), "float32", 0);
      second.save(d.resolve("dpo-adapter"), base);
      Decoder net = new Decoder(w);
      net.setHook(second);
      return net.forward(ids, null, false);
    }
  }

  static void put(SafetensorsWriter out, String name, NDArray a) {
    out.put(name, a.toFloatArray(), a.getShape().getShape());
  }
}
