package io.liandan.llm.train;

import static io.liandan.llm.Fixtures.assertMaxAbs;
import static io.liandan.llm.Fixtures.assertPeftGradients;
import static io.liandan.llm.Fixtures.assertRel;
import static io.liandan.llm.Fixtures.path;
import static io.liandan.llm.Fixtures.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.LrSchedule;
import io.liandan.spec.LoraConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * gradient_checkpointing: re-running each layer in backward gives PEFT's gradients and the plain
 * backward's training, dropout included.
 */
class LayerCheckpointsTest {
  static final String BASE = "qwen2-tiny-untied";
  static final String STEP = BASE + "/lora/expected_sft_step.safetensors";

  @Test
  void loraGradientsThroughReRunLayersMatchPeft() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path(BASE), m);
        LoraAdapter lora = LoraAdapter.load(path(BASE + "/lora"), w)) {
      Decoder model = new Decoder(w);
      model.setHook(lora);
      Map<String, NDArray> params = lora.parameters();
      new AdamW(params, AdamW.Hyper.defaults(0.0), m, n -> false); // attaches the gradients
      NDArray ids = read(m, STEP, "input_ids"), labels = read(m, STEP, "labels");
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        LayerCheckpoints ck = LayerCheckpoints.forward(model, ids, null, 1, true);
        NDArray loss = CausalLmLoss.mean(model.head(ck.hidden()), labels);
        assertMaxAbs(read(m, STEP, "loss").reshape(), loss, 1e-5, "loss");
        gc.backward(loss);
        ck.backward();
      }
      assertPeftGradients(m, STEP, params, 1e-4);
    }
  }

  /** Tied embeddings: the embedding's gradient comes from the head and from the re-run input. */
  @Test
  void fullFineTuningGradientsEqualThePlainBackward() {
    Map<String, float[]> plain = fullGradients(false), checkpointed = fullGradients(true);
    assertEquals(plain.keySet(), checkpointed.keySet());
    try (NDManager m = NDManager.newBaseManager()) {
      for (String k : plain.keySet()) {
        assertRel(m.create(plain.get(k)), m.create(checkpointed.get(k)), 1e-5, k);
      }
    }
  }

  static Map<String, float[]> fullGradients(boolean checkpointing) {
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path("qwen2-tiny-tied"), m)) {
      Decoder model = new Decoder(w);
      new AdamW(w.tensors(), AdamW.Hyper.defaults(0.0), m, n -> false);
      MicroBatch b =
          CausalLmTrainerTest.batch(CausalLmTrainerTest.row(1), CausalLmTrainerTest.row(2));
      NDArray ids = m.create(b.ids(), new ai.djl.ndarray.types.Shape(b.batch(), b.seq()));
      NDArray labels = m.create(b.labels(), ids.getShape());
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        if (checkpointing) {
          LayerCheckpoints ck = LayerCheckpoints.forward(model, ids, null, 1, true);
          gc.backward(CausalLmLoss.mean(model.head(ck.hidden()), labels));
          ck.backward();
        } else {
          gc.backward(CausalLmLoss.mean(model.forward(ids, null, true), labels));
        }
      }
      Map<String, float[]> grads = new LinkedHashMap<>();
      for (var e : w.tensors().entrySet())
        grads.put(e.getKey(), e.getValue().getGradient().toFloatArray());
      assertTrue(
          grads.get("model.embed_tokens.weight").length > 0, "the tied embedding has a gradient");
      return grads;
    }
  }

  /** The re-run layer draws its first run's dropout masks: every recomputed output is identical. */
  @Test
  void dropoutMasksReplayInTheReRun() {
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path(BASE), m)) {
      Decoder model = new Decoder(w);
      LoraAdapter lora =
          LoraAdapter.init(LoraConfig.of(4, 8, 0.5, List.of(LoraConfig.ALL_LINEAR)), w, 3);
      model.setHook(lora);
      new AdamW(lora.parameters(), AdamW.Hyper.defaults(0.0), m, n -> false);
      NDArray ids = read(m, STEP, "input_ids"), labels = read(m, STEP, "labels");
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        LayerCheckpoints ck = LayerCheckpoints.forward(model, ids, null, 77, true);
        ck.checkRecompute();
        gc.backward(CausalLmLoss.mean(model.head(ck.hidden()), labels));
        ck.backward();
        assertEquals(0, ck.mismatches(), "layers whose re-run drew other dropout masks");
      }
    }
  }

  /** Three SFT steps, the head split into one sequence per piece: the same curve and weights. */
  @Test
  void causalLmTrainingIsTheSameWithCheckpointing() {
    assertSameTraining(trainLora(false), trainLora(true), "sft");
  }

  /**
   * Losses (≤ 1e-6), one adapter weight after the steps and the gradient norms (≤ 1e-5 relative) of
   * a plain and a checkpointed run. The norms are taken before clipping: AdamW's update alone would
   * hide a gradient off by a constant factor.
   */
  static void assertSameTraining(float[][] plain, float[][] checkpointed, String what) {
    try (NDManager m = NDManager.newBaseManager()) {
      assertMaxAbs(m.create(plain[0]), m.create(checkpointed[0]), 1e-6, what + " losses");
      assertRel(m.create(plain[1]), m.create(checkpointed[1]), 1e-5, what + " lora_B after");
      assertRel(m.create(plain[2]), m.create(checkpointed[2]), 1e-5, what + " grad norms");
    }
  }

  static float[][] trainLora(boolean checkpointing) {
    Engine.getInstance().setRandomSeed(5);
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path(BASE), m)) {
      Decoder model = new Decoder(w);
      LoraAdapter a =
          LoraAdapter.init(LoraConfig.of(4, 8, 0.0, List.of("q_proj", "up_proj")), w, 9);
      model.setHook(a);
      AdamW opt = new AdamW(a.parameters(), AdamW.Hyper.defaults(0.01), m, AdamW::isNoDecay);
      CausalLmTrainer t =
          new CausalLmTrainer(
                  model, new Optimization(opt, new LrSchedule("constant", 0, 3), 1e-2, 1.0))
              .withGradientCheckpointing(checkpointing)
              .headPieceFloats(1); // one position per head piece
      float[] losses = new float[3], norms = new float[3];
      for (int s = 0; s < 3; s++) {
        List<MicroBatch> micro = new ArrayList<>();
        micro.add(
            CausalLmTrainerTest.batch(
                CausalLmTrainerTest.row(s),
                CausalLmTrainerTest.row(s + 10),
                CausalLmTrainerTest.row(s + 20)));
        micro.add(CausalLmTrainerTest.batch(CausalLmTrainerTest.row(s + 30)));
        CausalLmTrainer.StepResult r = t.step(micro);
        losses[s] = (float) r.loss();
        norms[s] = (float) r.gradNorm();
      }
      return new float[][] {
        losses, a.parameters().get("model.layers.1.mlp.up_proj.lora_B.weight").toFloatArray(), norms
      };
    }
  }

  /**
   * DPO: chosen and rejected both re-run, their head a sequence at a time (log-probs first, then
   * their gradient); four steps give the plain backward's curve.
   */
  @Test
  void dpoTrainingIsTheSameWithCheckpointing() {
    assertSameTraining(trainDpo(false), trainDpo(true), "dpo");
  }

  /** KTO: the policy's examples re-run; the KL and reference passes keep no graph either way. */
  @Test
  void ktoTrainingIsTheSameWithCheckpointing() {
    assertSameTraining(
        KtoTrainerTest.train(false, false, null), KtoTrainerTest.train(false, true, null), "kto");
  }

  static float[][] trainDpo(boolean checkpointing) {
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path(BASE), m);
        LoraAdapter lora = LoraAdapter.load(path(BASE + "/lora"), w)) {
      Decoder model = new Decoder(w);
      model.setHook(lora);
      PreferenceBatch batch = DpoTrainerTest.fixturePairs(m);
      DpoTrainer t =
          DpoTrainerTest.loraTrainer(model, lora, m, 4)
              .withGradientCheckpointing(checkpointing)
              .headPieceFloats(1); // with checkpointing: the head one sequence at a time
      float[] losses = new float[4], norms = new float[4];
      for (int s = 0; s < 4; s++) {
        DpoTrainer.StepResult step = t.step(List.of(batch));
        losses[s] = (float) step.loss();
        norms[s] = (float) step.gradNorm();
      }
      return new float[][] {
        losses,
        lora.parameters().get("model.layers.1.self_attn.v_proj.lora_B.weight").toFloatArray(),
        norms
      };
    }
  }
}
