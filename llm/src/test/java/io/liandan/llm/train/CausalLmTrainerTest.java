package io.liandan.llm.train;

import static io.liandan.llm.Fixtures.assertRel;
import static io.liandan.llm.Fixtures.path;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.liandan.llm.Fixtures;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.LrSchedule;
import io.liandan.spec.LoraConfig;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The training step: accumulation equals a bigger batch, seeds repeat, LoRA freezes the base. */
class CausalLmTrainerTest {
  static final int T = 12;

  static long[] row(int seed) {
    long[] r = new long[T];
    for (int t = 0; t < T; t++) r[t] = 3 + (seed * 31 + t * 7) % 990;
    return r;
  }

  static MicroBatch batch(long[]... rows) {
    long[] ids = new long[rows.length * T], labels = new long[ids.length];
    for (int b = 0; b < rows.length; b++) System.arraycopy(rows[b], 0, ids, b * T, T);
    // a prompt of 2–5 tokens per row, so micro-batches count different numbers of tokens
    for (int i = 0; i < ids.length; i++) {
      labels[i] = i % T < 2 + ids[i - i % T] % 4 ? TokenLogps.IGNORE : ids[i];
    }
    return new MicroBatch(rows.length, T, ids, labels, null);
  }

  /**
   * Trains a fresh copy of the untied fixture for {@code steps} and returns one weight's values.
   */
  static float[] train(
      Function<Integer, List<MicroBatch>> data, int steps, boolean lora, double dropout) {
    Engine.getInstance().setRandomSeed(5);
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path("qwen2-tiny-untied"), m)) {
      Decoder model = new Decoder(w);
      Map<String, NDArray> params = w.tensors();
      float[] frozen = w.get("model.layers.0.mlp.up_proj.weight").toFloatArray();
      if (lora) {
        LoraAdapter a =
            LoraAdapter.init(
                LoraConfig.of(4, 8, dropout, List.of("q_proj", "v_proj", "up_proj")), w, 9);
        model.setHook(a);
        params = a.parameters();
      }
      AdamW opt = new AdamW(params, AdamW.Hyper.defaults(0.01), m, AdamW::isNoDecay);
      CausalLmTrainer t =
          new CausalLmTrainer(
              model,
              new Optimization(opt, LrSchedule.withWarmupRatio("linear", 0.5, steps), 1e-2, 1.0));
      for (int s = 0; s < steps; s++) assertTrue(Double.isFinite(t.step(data.apply(s)).loss()));
      if (lora) {
        assertEquals(
            0f,
            new NDArrayDiff(m, frozen, w.get("model.layers.0.mlp.up_proj.weight")).max(),
            "base frozen");
        return params.get("model.layers.1.mlp.up_proj.lora_B.weight").toFloatArray();
      }
      return w.get("model.layers.1.self_attn.q_proj.weight").toFloatArray();
    }
  }

  @Test
  void accumulatingTwoMicroBatchesEqualsOneBatchOfTwo() {
    float[] one = train(s -> List.of(batch(row(s), row(s + 100))), 3, false, 0);
    float[] two = train(s -> List.of(batch(row(s)), batch(row(s + 100))), 3, false, 0);
    try (NDManager m = NDManager.newBaseManager()) {
      assertRel(m.create(one), m.create(two), 1e-5, "accumulated vs whole batch");
    }
  }

  @Test
  void sameSeedSameWeightsAndLoraLeavesTheBaseFrozen() {
    float[] a = train(s -> List.of(batch(row(s), row(s + 1))), 4, true, 0.1);
    float[] b = train(s -> List.of(batch(row(s), row(s + 1))), 4, true, 0.1);
    assertTrue(java.util.Arrays.equals(a, b), "same seeds, bit-identical adapter");
    float[] c = train(s -> List.of(batch(row(s + 7), row(s + 1))), 4, true, 0.1);
    assertTrue(!java.util.Arrays.equals(a, c), "other data, other adapter");
  }

  /**
   * The head and loss cut into pieces (here every position its own, the span case of {@link
   * HeadPieces}; and whole sequences) train as one piece: losses (~7) ≤ 1e-5 over 3 steps, the
   * first step's gradients ≤ 1e-5 relative — full fine-tuning of the tied model, whose embedding
   * takes gradients from the head's pieces and from the layers' backward, and LoRA. (Weights after
   * the steps are not compared: AdamW divides each gradient by its own root mean square, which
   * turns a rounding difference in a near-zero gradient into a whole lr step.)
   */
  @Test
  void theHeadInPiecesTrainsAsTheWholeHead() {
    for (boolean lora : new boolean[] {false, true}) {
      float[][] whole = trainTied(Long.MAX_VALUE, lora);
      for (long floats : new long[] {1, 2L * T * 1000}) { // a position; two sequences (V 1000)
        float[][] pieces = trainTied(floats, lora);
        try (NDManager m = NDManager.newBaseManager()) {
          String what = (lora ? "LoRA" : "full") + ", pieces of " + floats + " logits";
          Fixtures.assertMaxAbs(m.create(whole[0]), m.create(pieces[0]), 1e-5, what + ": losses");
          assertRel(m.create(whole[1]), m.create(pieces[1]), 1e-5, what + ": gradient");
          if (!lora) assertRel(m.create(whole[2]), m.create(pieces[2]), 1e-5, what + ": embedding");
        }
      }
    }
  }

  /** 3 steps' losses, and the first step's gradients of a trained weight and the embedding. */
  static float[][] trainTied(long headPieceFloats, boolean lora) {
    Engine.getInstance().setRandomSeed(5);
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path("qwen2-tiny-tied"), m)) {
      assertTrue(w.config().tieWordEmbeddings());
      Decoder model = new Decoder(w);
      Map<String, NDArray> params = w.tensors();
      String trained = "model.layers.1.self_attn.q_proj.weight";
      if (lora) {
        LoraAdapter a =
            LoraAdapter.init(LoraConfig.of(4, 8, 0, List.of("q_proj", "up_proj")), w, 9);
        model.setHook(a);
        params = a.parameters();
        trained = "model.layers.1.mlp.up_proj.lora_B.weight";
      }
      AdamW opt = new AdamW(params, AdamW.Hyper.defaults(0.01), m, AdamW::isNoDecay);
      CausalLmTrainer t =
          new CausalLmTrainer(
                  model, new Optimization(opt, new LrSchedule("constant", 0, 3), 1e-2, 1.0))
              .headPieceFloats(headPieceFloats);
      float[] losses = new float[3], grad = null, embedding = null;
      for (int s = 0; s < 3; s++) {
        losses[s] = (float) t.step(List.of(batch(row(s), row(s + 10), row(s + 20)))).loss();
        if (s == 0) {
          grad = params.get(trained).getGradient().toFloatArray();
          embedding = lora ? grad : w.get("model.embed_tokens.weight").getGradient().toFloatArray();
        }
      }
      return new float[][] {losses, grad, embedding};
    }
  }

  /** max |a - b| between a host copy and a tensor. */
  record NDArrayDiff(NDManager m, float[] before, NDArray after) {
    float max() {
      return m.create(before, after.getShape()).sub(after).abs().max().getFloat();
    }
  }
}
