package io.liandan.llm.model;

import static io.liandan.llm.Fixtures.assertMaxAbs;
import static io.liandan.llm.Fixtures.path;
import static io.liandan.llm.Fixtures.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.liandan.llm.Fixtures;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.train.CausalLmLoss;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The forward pass and loss against transformers' logits for both tiny checkpoints. */
class DecoderTest {

  @ParameterizedTest
  @ValueSource(strings = {"qwen2-tiny-tied", "qwen2-tiny-untied"})
  void logitsAndLossMatchTransformers(String name) {
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = new NoGrad();
        DecoderWeights w = DecoderWeights.load(path(name), m)) {
      String f = name + "/expected_logits.safetensors";
      NDArray ids = read(m, f, "input_ids"), mask = read(m, f, "attention_mask");
      NDArray logits = new Decoder(w).forward(ids, mask, false);
      assertMaxAbs(read(m, f, "logits"), logits, 1e-4, name + " logits");
      // labels = ids with -100 on padding, as the fixture's loss was computed
      NDArray labels = ids.mul(mask).add(mask.sub(1).mul(100));
      NDArray loss = CausalLmLoss.mean(logits, labels);
      assertMaxAbs(read(m, f, "loss").reshape(), loss, 1e-4, name + " loss");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"float32", "bfloat16", "float16"})
  void savedCheckpointReloadsToTheSameLogits(String dtype, @TempDir Path tmp) {
    String name = "qwen2-tiny-untied";
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = new NoGrad();
        DecoderWeights w = DecoderWeights.load(path(name), m)) {
      String f = name + "/expected_logits.safetensors";
      NDArray ids = read(m, f, "input_ids"), mask = read(m, f, "attention_mask");
      Path out = tmp.resolve("saved");
      CheckpointWriter.save(w, out, dtype, path(name));
      assertTrue(out.resolve("generation_config.json").toFile().exists());
      try (DecoderWeights back = DecoderWeights.load(out, m)) {
        assertEquals(dtype, back.config().torchDtype());
        // each weight is the nearest value of the format: float32 exact, float16 as libtorch's
        // own cast rounds it, bfloat16 (which this engine cannot hold) as nearestBf16 picks it
        for (var e : w.tensors().entrySet()) {
          float[] want = e.getValue().toFloatArray(), got = back.get(e.getKey()).toFloatArray();
          float[] f16 =
              dtype.equals("float16")
                  ? e.getValue()
                      .toType(DataType.FLOAT16, false)
                      .toType(DataType.FLOAT32, false)
                      .toFloatArray()
                  : null;
          for (int i = 0; i < want.length; i++) {
            String at = dtype + " " + e.getKey() + "[" + i + "]";
            switch (dtype) {
              case "float32" -> assertEquals(want[i], got[i], 0, at);
              case "float16" -> assertEquals(f16[i], got[i], 0, at);
              default -> assertEquals(nearestBf16(want[i]), got[i], 0, at);
            }
          }
        }
        NDArray a = new Decoder(w).forward(ids, mask, false);
        NDArray b = new Decoder(back).forward(ids, mask, false);
        double scale = a.abs().max().getFloat(), off = Fixtures.maxAbs(a, b);
        System.out.printf(
            "%s round trip: logits max |Δ| %.2e, %.3f %% of the largest logit %.3f%n",
            dtype, off, 100 * off / scale, scale);
        // measured: 0.387 % (bfloat16), 0.056 % (float16) of the largest logit (0.653)
        double tol = dtype.equals("float32") ? 0 : dtype.equals("bfloat16") ? 5e-3 : 1e-3;
        assertMaxAbs(a, b, tol * scale, dtype + " round trip");
      }
    }
  }

  /**
   * The bfloat16 nearest to {@code x}, ties to even, by comparing the two candidates around it (not
   * the bit trick CheckpointWriter uses, so that this checks it).
   */
  static float nearestBf16(float x) {
    int bits = Float.floatToRawIntBits(x);
    float down = Float.intBitsToFloat(bits & 0xffff0000); // toward zero
    float up = Float.intBitsToFloat((bits & 0xffff0000) + 0x10000); // away from zero
    double dDown = Math.abs((double) x - down), dUp = Math.abs((double) up - x);
    if (dDown != dUp) return dDown < dUp ? down : up;
    return ((bits >>> 16) & 1) == 0 ? down : up;
  }

  /** Both caches: growing by concatenation (capacity 0), and preallocated for the 16 positions. */
  @ParameterizedTest
  @CsvSource({"1, 0", "4, 0", "1, 16", "4, 16"})
  void cachedDecodingEqualsFullForward(int chunk, int capacity) {
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = new NoGrad();
        DecoderWeights w = DecoderWeights.load(path("qwen2-tiny-tied"), m);
        KvCache cache = new KvCache(w.config().numHiddenLayers(), capacity)) {
      Decoder model = new Decoder(w);
      NDArray ids =
          read(m, "qwen2-tiny-tied/expected_logits.safetensors", "input_ids").get("0:1, :");
      NDArray full = model.forward(ids, null, false);
      for (int t = 0; t < 16; t += chunk) {
        NDArray step =
            model.forward(ids.get(":, " + t + ":" + (t + chunk)), null, null, cache, false);
        assertMaxAbs(full.get(":, " + t + ":" + (t + chunk) + ", :"), step, 1e-4, "position " + t);
      }
      if (capacity > 0) { // a 17th position does not fit
        NDArray more = ids.get(":, 0:1");
        IllegalStateException e =
            org.junit.jupiter.api.Assertions.assertThrows(
                IllegalStateException.class, () -> model.forward(more, null, null, cache, false));
        assertTrue(e.getMessage().contains("16 positions"), e.getMessage());
      }
    }
  }

  /** Loading tells its progress after each tensor, rising to the checkpoint's tensor bytes. */
  @org.junit.jupiter.api.Test
  void loadingReportsItsProgressUpToTheWholeCheckpoint() {
    java.util.List<long[]> calls = new java.util.ArrayList<>();
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w =
            DecoderWeights.load(
                path("qwen2-tiny-tied"), m, (b, t) -> calls.add(new long[] {b, t}))) {
      assertEquals(w.names().size(), calls.size(), "one call a tensor");
      long total = calls.get(0)[1], params = w.parameterCount();
      assertEquals(params * 4, total, "a float32 checkpoint: 4 bytes a parameter");
      for (int i = 1; i < calls.size(); i++) assertTrue(calls.get(i)[0] > calls.get(i - 1)[0]);
      assertEquals(total, calls.get(calls.size() - 1)[0]);
    }
  }

  /** Generation's last-position logits are the full forward's last row. */
  @org.junit.jupiter.api.Test
  void lastPositionLogitsAreTheFullForwardsLastRow() {
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = new NoGrad();
        DecoderWeights w = DecoderWeights.load(path("qwen2-tiny-tied"), m)) {
      Decoder model = new Decoder(w);
      NDArray ids =
          read(m, "qwen2-tiny-tied/expected_logits.safetensors", "input_ids").get("0:1, :");
      NDArray last = model.forwardLast(ids, null, null, null);
      assertEquals(new Shape(1, 1, w.config().vocabSize()), last.getShape());
      assertMaxAbs(model.forward(ids, null, false).get(":, -1:, :"), last, 1e-5, "last row");
    }
  }

  @org.junit.jupiter.api.Test
  void randomInitIsDeterministicAndScaled() {
    DecoderConfig c = DecoderConfig.load(path("qwen2-tiny-tied"));
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights a = DecoderWeights.random(c, 42, m);
        DecoderWeights b = DecoderWeights.random(c, 42, m);
        DecoderWeights d = DecoderWeights.random(c, 43, m)) {
      NDArray wa = a.get("model.layers.0.mlp.up_proj.weight");
      assertEquals(0.0, Fixtures.maxAbs(wa, b.get("model.layers.0.mlp.up_proj.weight")));
      assertTrue(Fixtures.maxAbs(wa, d.get("model.layers.0.mlp.up_proj.weight")) > 0.01);
      double std = Math.sqrt(wa.square().mean().getFloat());
      assertEquals(c.initializerRange(), std, 0.002);
      assertEquals(1.0f, a.get("model.norm.weight").min().getFloat());
      assertEquals(0.0f, a.get("model.layers.1.self_attn.k_proj.bias").abs().max().getFloat());
      assertEquals(DataType.FLOAT32, wa.getDataType());
    }
  }
}
