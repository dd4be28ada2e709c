package io.liandan.llm.train;

import static io.liandan.llm.Fixtures.path;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.liandan.llm.data.tokenize.ShardWriter;
import io.liandan.llm.data.tokenize.TokenShards;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.LrSchedule;
import io.liandan.spec.LoraConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A run stopped after a checkpoint and continued in a fresh model, optimizer and data loader ends
 * with the same weights and the same loss curve as a run that never stopped — with LoRA dropout, so
 * randomness is part of what must repeat.
 */
class ExactResumeTest {
  static final int STEPS = 6, SAVE_AT = 3;

  static TokenShards data(Path dir) {
    try (ShardWriter w = new ShardWriter(dir, 1 << 20)) {
      for (int i = 0; i < 10; i++) {
        int[] ids = new int[6 + i % 5];
        byte[] mask = new byte[ids.length];
        for (int t = 0; t < ids.length; t++) {
          ids[t] = 3 + (i * 37 + t * 11) % 990;
          mask[t] = (byte) (t < 3 ? 0 : 1);
        }
        w.add(List.of(ids), List.of(mask));
      }
      w.commit();
      return new TokenShards(dir, w.shards());
    }
  }

  /**
   * Runs steps [from, to) — resuming from the newest checkpoint when from > 0 — and returns losses.
   */
  static List<Double> train(
      boolean lora, TokenShards shards, Path ckpt, int from, int to, float[][] finalWeights) {
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path("qwen2-tiny-untied"), m)) {
      Decoder model = new Decoder(w);
      Map<String, NDArray> params = w.tensors();
      if (lora) {
        LoraAdapter a =
            LoraAdapter.init(LoraConfig.of(4, 8, 0.1, List.of("q_proj", "v_proj")), w, from);
        model.setHook(a);
        params = a.parameters();
      }
      if (from == 0)
        finalWeights[2] = new ArrayList<>(params.values()).get(params.size() - 1).toFloatArray();
      AdamW opt = new AdamW(params, AdamW.Hyper.defaults(0.01), m, AdamW::isNoDecay);
      ShardBatches batches = new ShardBatches(shards, 3, 11, 0);
      if (from > 0)
        batches.seek(
            TrainCheckpoint.restore(TrainCheckpoint.latest(ckpt).orElseThrow(), params, opt));
      assertEquals(from, opt.stepCount());
      CausalLmTrainer t =
          new CausalLmTrainer(
              model,
              new Optimization(
                  opt, LrSchedule.withWarmupRatio("cosine", 0.2, STEPS), 5e-3, 1.0, 17));
      List<Double> losses = new ArrayList<>();
      for (int s = from; s < to; s++) {
        losses.add(t.step(List.of(batches.next())).loss());
        if (opt.stepCount() % SAVE_AT == 0)
          TrainCheckpoint.save(ckpt, params, opt, batches.position(), 1);
      }
      finalWeights[0] = params.values().iterator().next().toFloatArray();
      finalWeights[1] = new ArrayList<>(params.values()).get(params.size() - 1).toFloatArray();
      return losses;
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void resumedRunEqualsUninterruptedRun(boolean lora, @TempDir Path dir) throws Exception {
    TokenShards shards = data(dir.resolve("data"));
    float[][] straight = new float[3][], resumed = new float[3][], ignored = new float[3][];
    List<Double> all = train(lora, shards, dir.resolve("a"), 0, STEPS, straight);
    List<Double> first = train(lora, shards, dir.resolve("b"), 0, SAVE_AT, ignored);
    List<Double> rest = train(lora, shards, dir.resolve("b"), SAVE_AT, STEPS, resumed);
    List<Double> joined = new ArrayList<>(first);
    joined.addAll(rest);
    assertEquals(all, joined, "the same loss curve");
    assertArrayEquals(straight[0], resumed[0], "first trained tensor bit-identical");
    assertArrayEquals(straight[1], resumed[1], "last trained tensor bit-identical");
    assertTrue(!java.util.Arrays.equals(straight[2], straight[1]), "the steps changed the weights");
    try (var s = Files.list(dir.resolve("a"))) {
      assertEquals(
          List.of("checkpoint-6"),
          s.map(p -> p.getFileName().toString()).toList(),
          "save_total_limit 1");
    }
  }
}
