package io.liandan.llm.kernels;

import static io.liandan.llm.Fixtures.assertMaxAbs;
import static io.liandan.llm.Fixtures.assertRel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.liandan.llm.Fixtures;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderConfig;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.model.KvCache;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.train.CausalLmLoss;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole model on the torch kernels against the reference kernels: logits, loss and every
 * weight's gradient of a right-padded batch (rows padded by 2, 1 and 0) through SDPA, and cached
 * decoding of a left-padded row; for the tiny Qwen2 fixture (GQA 4/2) and a random Mistral with a
 * sliding window of 3.
 */
class ModelKernelsTest {
  private static final long SEED = 20261206L;
  private static final int B = 3, T = 10;

  /** Mistral, GQA 4/2, every layer sliding over its last 3 keys. */
  private static final String MISTRAL =
      "{\"model_type\":\"mistral\",\"hidden_size\":64,\"intermediate_size\":128,"
          + "\"num_attention_heads\":4,\"num_key_value_heads\":2,\"num_hidden_layers\":2,"
          + "\"vocab_size\":1000,\"rms_norm_eps\":1e-6,\"rope_theta\":10000.0,"
          + "\"sliding_window\":3,\"max_position_embeddings\":256,"
          + "\"tie_word_embeddings\":false,\"hidden_act\":\"silu\",\"initializer_range\":0.2}";

  @ParameterizedTest
  @ValueSource(
      strings = {"qwen2-tiny-untied right", "qwen2-tiny-untied left", "mistral-sliding-3 right"})
  void trainingForwardBackwardAndCachedDecodingEqualTheReference(String kase, @TempDir Path tmp)
      throws Exception {
    String name = kase.split(" ")[0];
    boolean left = kase.endsWith("left");
    DecoderConfig config;
    Path dir = null;
    if (name.startsWith("qwen2")) {
      dir = Fixtures.path(name);
      config = DecoderConfig.load(dir);
    } else {
      Files.writeString(tmp.resolve("config.json"), MISTRAL);
      config = DecoderConfig.load(tmp);
    }
    Random r = new Random(SEED);
    long[] ids = new long[B * T], mask = new long[B * T], labels = new long[B * T];
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++) {
        int i = b * T + t;
        ids[i] = 3 + r.nextInt(config.vocabSize() - 3);
        // right-padded as the trainers pad (every query sees a key: SDPA), or row 0 left-padded
        // by 3 (its pads see nothing, and the last one's logits are read: eager attention)
        boolean pad = left && b == 0 ? t < 3 : (b == 0 && t >= T - 2) || (b == 1 && t >= T - 1);
        mask[i] = pad ? 0 : 1;
        labels[i] = mask[i] == 1 ? ids[i] : -100;
      }
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> ref =
          run(Kernels.named("reference"), config, dir, m, ids, mask, labels, left);
      Map<String, NDArray> torch =
          run(Kernels.named("torch"), config, dir, m, ids, mask, labels, left);
      assertMaxAbs(ref.remove("logits"), torch.remove("logits"), 1e-5, kase + " logits");
      assertMaxAbs(ref.remove("loss"), torch.remove("loss"), 1e-6, kase + " loss");
      assertMaxAbs(ref.remove("decoded"), torch.remove("decoded"), 1e-5, kase + " cached logits");
      double worst = 0;
      for (var e : ref.entrySet()) {
        assertTrue(e.getValue().abs().max().getFloat() > 0, e.getKey() + " has a gradient");
        worst = Math.max(worst, assertRel(e.getValue(), torch.get(e.getKey()), 1e-4, e.getKey()));
      }
      System.out.printf("%s: %d gradients, worst rel diff %.2e%n", kase, ref.size(), worst);
    }
  }

  /** logits, loss, cached-decoding logits and each weight's gradient on {@code kernels}. */
  private static Map<String, NDArray> run(
      Kernels kernels,
      DecoderConfig config,
      Path dir,
      NDManager m,
      long[] ids,
      long[] mask,
      long[] labels,
      boolean eager) {
    DecoderWeights w =
        dir != null ? DecoderWeights.load(dir, m) : DecoderWeights.random(config, 7, m);
    Decoder model = new Decoder(w);
    model.setKernels(kernels);
    w.tensors().values().forEach(p -> p.setRequiresGradient(true));
    NDArray idsA = m.create(ids, new Shape(B, T)), maskA = m.create(mask, new Shape(B, T));
    Map<String, NDArray> out = new LinkedHashMap<>();
    long sdpa = kernels.name().equals("torch") ? TorchKernels.sdpaCalls() : 0;
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDArray logits = model.forward(idsA, maskA, true);
      NDArray loss = CausalLmLoss.mean(logits, m.create(labels, new Shape(B, T)));
      gc.backward(loss);
      out.put("logits", logits.duplicate());
      out.put("loss", loss.duplicate());
    }
    if (kernels.name().equals("torch")) {
      long want = eager ? 0 : config.numHiddenLayers();
      assertEquals(want, TorchKernels.sdpaCalls() - sdpa, "SDPA calls in training");
    }
    for (var e : w.tensors().entrySet())
      out.put(e.getKey(), e.getValue().getGradient().duplicate());
    // generation's path: the left-padded row decoded in chunks over the KV cache
    try (NoGrad ng = new NoGrad();
        KvCache cache = new KvCache(config.numHiddenLayers())) {
      NDArray row = idsA.get("2:3, :"); // left-padded by 3, as the generator pads
      NDArray rowMask = m.create(new long[] {0, 0, 0, 1, 1, 1, 1, 1, 1, 1}, new Shape(1, T));
      NDArray first = model.forward(row.get(":, 0:6"), rowMask.get(":, 0:6"), null, cache, false);
      NDArray rest = model.forward(row.get(":, 6:"), rowMask, null, cache, false);
      out.put("decoded", first.concat(rest, 1));
    }
    return out;
  }
}
