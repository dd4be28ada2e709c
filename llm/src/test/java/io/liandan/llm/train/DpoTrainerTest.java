package io.liandan.llm.train;

import static io.liandan.llm.Fixtures.path;
import static io.liandan.llm.Fixtures.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.GradScaler;
import io.liandan.llm.optim.LrSchedule;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The DPO step against TRL's numbers: policy = base + adapter, reference = the same weights with
 * the adapter off. The first step's metrics are the fixture's; then the policy learns the pairs.
 */
class DpoTrainerTest {
  static final String F = "qwen2-tiny-untied/lora/expected_dpo.safetensors";

  /**
   * fp16: float16 linears and loss scaling; TRL's float32 numbers then hold to fp16 precision.
   * checkpointing: the policy's layers re-run in backward, the same numbers.
   */
  @ParameterizedTest
  @CsvSource({"false,false", "true,false", "false,true"})
  void firstStepMatchesTrlAndTrainingWidensTheMargin(boolean fp16, boolean checkpointing) {
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path("qwen2-tiny-untied"), m);
        LoraAdapter lora = LoraAdapter.load(path("qwen2-tiny-untied/lora"), w)) {
      Decoder model = new Decoder(w);
      model.setHook(lora);
      if (fp16) model.setComputeType(DataType.FLOAT16);
      PreferenceBatch batch = fixturePairs(m);
      DpoTrainer t =
          loraTrainer(model, lora, m, 20)
              .withLossScaling(fp16 ? new GradScaler() : null)
              .withGradientCheckpointing(checkpointing);
      DpoTrainer.StepResult first = t.step(List.of(batch));
      double tol = fp16 ? 1e-3 : 1e-5;
      System.out.printf(
          "DPO first step (fp16 %s, checkpointing %s): loss %.6f vs TRL %.6f, chosen logps %.4f vs"
              + " %.4f%n",
          fp16,
          checkpointing,
          first.loss(),
          mean(read(m, F, "losses")),
          first.logpsChosen(),
          mean(read(m, F, "policy_chosen_logps")));
      assertEquals(mean(read(m, F, "losses")), first.loss(), tol);
      assertEquals(mean(read(m, F, "rewards_chosen")), first.rewardsChosen(), tol);
      assertEquals(mean(read(m, F, "rewards_rejected")), first.rewardsRejected(), tol);
      assertEquals(
          mean(read(m, F, "policy_chosen_logps")), first.logpsChosen(), fp16 ? 1e-2 : 1e-3);
      assertTrue(Double.isFinite(first.gradNorm()), "no overflow at the initial scale");
      DpoTrainer.StepResult last = first;
      for (int i = 0; i < 15; i++) last = t.step(List.of(batch));
      assertTrue(last.rewardsMargins() > first.rewardsMargins() + 0.1, first + " -> " + last);
      assertTrue(last.loss() < first.loss(), first + " -> " + last);
      assertEquals(1.0, last.rewardsAccuracies());
    }
  }

  /**
   * The head in pieces (each position its own: spans of a sequence) gives the one-piece gradients,
   * ≤ 1e-5 relative: with LoRA (a frozen head: one pass, its gradients scaled by the loss's) and
   * with full fine-tuning (the head trains: log-probs first, the head re-run with the loss's
   * coefficients), of the adapter or of a layer weight and the lm_head.
   */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
  void theHeadInPiecesGivesTheWholeHeadsGradients(boolean lora) {
    float[][] whole = firstStepGradients(lora, Long.MAX_VALUE);
    float[][] pieces = firstStepGradients(lora, 1);
    try (NDManager m = NDManager.newBaseManager()) {
      String what = lora ? "LoRA" : "full";
      io.liandan.llm.Fixtures.assertMaxAbs(
          m.create(whole[0]), m.create(pieces[0]), 1e-6, what + ": loss");
      io.liandan.llm.Fixtures.assertRel(
          m.create(whole[1]), m.create(pieces[1]), 1e-5, what + ": gradient");
      io.liandan.llm.Fixtures.assertRel(
          m.create(whole[2]), m.create(pieces[2]), 1e-5, what + ": second gradient");
    }
  }

  /** The first step's loss and two gradients, the head in pieces of {@code floats} logits. */
  static float[][] firstStepGradients(boolean withLora, long floats) {
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path("qwen2-tiny-untied"), m);
        DecoderWeights frozen = DecoderWeights.load(path("qwen2-tiny-untied"), m);
        LoraAdapter lora = withLora ? LoraAdapter.load(path("qwen2-tiny-untied/lora"), w) : null) {
      Decoder model = new Decoder(w), base = new Decoder(frozen);
      model.setHook(lora);
      DpoTrainer.Reference reference =
          withLora ? adapterOff(model, lora) : (ids, mask) -> base.forward(ids, mask, false);
      java.util.Map<String, NDArray> params = withLora ? lora.parameters() : w.tensors();
      AdamW opt = new AdamW(params, AdamW.Hyper.defaults(0.0), m, AdamW::isNoDecay);
      DpoTrainer t =
          new DpoTrainer(
                  model,
                  reference,
                  new Optimization(opt, new LrSchedule("constant", 0, 2), 0, 1e9, 1),
                  0.1)
              .headPieceFloats(floats);
      double loss = t.step(List.of(fixturePairs(m))).loss();
      String a =
          withLora
              ? "model.layers.1.self_attn.v_proj.lora_B.weight"
              : "model.layers.1.mlp.up_proj.weight";
      String b = withLora ? "model.layers.0.self_attn.q_proj.lora_A.weight" : "lm_head.weight";
      return new float[][] {
        {(float) loss},
        params.get(a).getGradient().toFloatArray(),
        params.get(b).getGradient().toFloatArray()
      };
    }
  }

  /**
   * A decoder as reference gives, through its head in pieces, the log-probs of its whole logits.
   */
  @org.junit.jupiter.api.Test
  void aDecoderReferenceGivesTheLogpsOfItsWholeLogits() {
    try (NDManager m = NDManager.newBaseManager();
        io.liandan.llm.tensor.NoGrad ng = new io.liandan.llm.tensor.NoGrad();
        DecoderWeights w = DecoderWeights.load(path("qwen2-tiny-untied"), m)) {
      Decoder model = new Decoder(w);
      DpoTrainer.Reference ref = DpoTrainer.Reference.of(model);
      DpoTrainer.Reference whole = (ids, mask) -> model.forward(ids, mask, false);
      PreferenceBatch b =
          PreferenceBatch.of(
              List.of(
                  new int[][] {{5, 6, 7}, {8, 9}, {10, 11, 12, 13}},
                  new int[][] {{14}, {15, 16, 17, 18}, {19}}),
              0);
      MicroBatch mb = b.chosen();
      ai.djl.ndarray.types.Shape s = new ai.djl.ndarray.types.Shape(mb.batch(), mb.seq());
      NDArray ids = m.create(mb.ids(), s), labels = m.create(mb.labels(), s);
      NDArray mask = mb.mask() == null ? null : m.create(mb.mask(), s);
      io.liandan.llm.Fixtures.assertMaxAbs(
          whole.logps(ids, mask, labels), ref.logps(ids, mask, labels), 1e-5, "sequence log-probs");
    }
  }

  /** The reference is the policy's base: the same weights with the adapter off, no second copy. */
  static DpoTrainer.Reference adapterOff(Decoder model, LoraAdapter lora) {
    return DpoTrainer.Reference.adapterOff(model, lora);
  }

  /**
   * A DPO trainer of {@code lora} set up as the fixture's TRL run: reference = the adapter off,
   * AdamW without weight decay at a constant 2e-3 for {@code steps}, gradients clipped at 1, beta
   * 0.1.
   */
  static DpoTrainer loraTrainer(Decoder model, LoraAdapter lora, NDManager m, int steps) {
    return new DpoTrainer(model, adapterOff(model, lora), loraOptimization(lora, m, steps), 0.1);
  }

  /** AdamW on {@code lora} without weight decay, at a constant 2e-3, gradients clipped at 1. */
  static Optimization loraOptimization(LoraAdapter lora, NDManager m, int steps) {
    AdamW opt = new AdamW(lora.parameters(), AdamW.Hyper.defaults(0.0), m, AdamW::isNoDecay);
    return new Optimization(opt, new LrSchedule("constant", 0, steps), 2e-3, 1.0, 1);
  }

  /** The fixture's three pairs (prompts of 6, chosen of 5, rejected of 7 tokens) as one batch. */
  static PreferenceBatch fixturePairs(NDManager m) {
    return PreferenceBatch.of(fixtureRows(m), 0);
  }

  /** The fixture's three (prompt, chosen, rejected) id rows. */
  static List<int[][]> fixtureRows(NDManager m) {
    long[] p = read(m, F, "prompt").toLongArray(),
        c = read(m, F, "chosen").toLongArray(),
        r = read(m, F, "rejected").toLongArray();
    List<int[][]> rows = new ArrayList<>();
    for (int b = 0; b < 3; b++) {
      rows.add(new int[][] {ints(p, b * 6, 6), ints(c, b * 5, 5), ints(r, b * 7, 7)});
    }
    return rows;
  }

  static int[] ints(long[] a, int from, int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) out[i] = (int) a[from + i];
    return out;
  }

  static double mean(NDArray a) {
    return a.mean().getFloat();
  }
}
