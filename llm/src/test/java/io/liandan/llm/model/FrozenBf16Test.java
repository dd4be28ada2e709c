package io.liandan.llm.model;

import static io.liandan.llm.Fixtures.path;
import static io.liandan.llm.Fixtures.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.liandan.llm.generate.Generator;
import io.liandan.llm.generate.SamplingConfig;
import io.liandan.llm.kernels.Bf16;
import io.liandan.llm.kernels.Widening;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.LrSchedule;
import io.liandan.llm.safetensors.Dtype;
import io.liandan.llm.safetensors.SafetensorsFile;
import io.liandan.llm.safetensors.SafetensorsWriter;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.train.CausalLmLoss;
import io.liandan.llm.train.CausalLmTrainer;
import io.liandan.llm.train.MicroBatch;
import io.liandan.llm.train.Optimization;
import io.liandan.spec.LoraConfig;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Frozen weights kept in bfloat16 ({@code DecoderWeights.load(…, frozenBf16=true)}): stored exactly
 * (bf16 bytes as they are, float32 rounded to nearest even), half the memory, logits and LoRA
 * gradients within bf16's rounding of the float32 model's, generation and LoRA training work. The
 * bounds are bf16's own error (8 significant bits: 2⁻⁹ ≈ 0.2 % relative per rounding).
 */
class FrozenBf16Test {
  static final String FIXTURE = "qwen2-tiny-untied";
  @TempDir Path dir;

  /** bf16 of a float32 by round-to-nearest-even, as torch's {@code .to(torch.bfloat16)}. */
  static short roundToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40); // stays a NaN
    return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
  }

  @Test
  void storedBytesBecomeBf16ExactlyAsTorchRoundsThem() {
    int n = 1001;
    ByteBuffer f32 = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer b16 = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
    SplittableRandom r = new SplittableRandom(7);
    float[] values = new float[n];
    short[] halves = new short[n];
    for (int i = 0; i < n; i++) {
      // ties included: a float whose low 16 bits are exactly 0x8000
      int bits = i % 10 == 0 ? (r.nextInt() & 0xFFFF0000) | 0x8000 : r.nextInt();
      values[i] = Float.intBitsToFloat(bits);
      halves[i] = (short) r.nextInt();
      f32.putFloat(values[i]);
      b16.putShort(halves[i]);
    }
    Path file = dir.resolve("t.safetensors");
    new SafetensorsWriter()
        .putRaw("f32", Dtype.F32, f32.flip(), n)
        .putRaw("b16", Dtype.BF16, b16.flip(), n)
        .write(file);
    try (SafetensorsFile f = SafetensorsFile.open(file);
        NDManager m = NDManager.newBaseManager();
        Widening w = new Widening()) {
      BiFunction<String, Widening.Stored, NDArray> read =
          (name, stored) -> w.toBf16((at, dst) -> f.read(name, at, dst), stored, new Shape(n), m);
      NDArray a = read.apply("f32", Widening.Stored.F32),
          b = read.apply("b16", Widening.Stored.BF16);
      assertTrue(Bf16.is(a) && Bf16.is(b), "both stored as bf16 (2 bytes a value)");
      float[] ga = Bf16.toFloat32(a).toFloatArray(), gb = Bf16.toFloat32(b).toFloatArray();
      for (int i = 0; i < n; i++) {
        short want = roundToBf16(values[i]);
        float wantA = Float.intBitsToFloat(want << 16),
            wantB = Float.intBitsToFloat(halves[i] << 16);
        if (Float.isNaN(wantA)) assertTrue(Float.isNaN(ga[i]), "NaN at " + i);
        else
          assertEquals(Float.floatToRawIntBits(wantA), Float.floatToRawIntBits(ga[i]), "f32 " + i);
        if (Float.isNaN(wantB)) assertTrue(Float.isNaN(gb[i]), "NaN at " + i);
        else
          assertEquals(Float.floatToRawIntBits(wantB), Float.floatToRawIntBits(gb[i]), "bf16 " + i);
      }
    }
  }

  @Test
  void logitsStayWithinBf16RoundingOfFloat32AndMemoryHalves() {
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = new NoGrad();
        DecoderWeights full = DecoderWeights.load(path(FIXTURE), m);
        DecoderWeights half =
            DecoderWeights.load(path(FIXTURE), m, DecoderWeights.LoadProgress.NONE, true)) {
      assertFalse(full.frozenBf16());
      assertTrue(half.frozenBf16());
      assertEquals(full.parameterCount(), half.parameterCount());
      long matrices = 0;
      for (String name : half.names()) {
        boolean candidate = DecoderWeights.isBf16Candidate(name);
        assertEquals(candidate, half.isBf16(name), name);
        assertEquals(candidate, Bf16.is(half.get(name)), name + " stored in bf16");
        if (candidate) matrices += half.get(name).getShape().size();
      }
      // what stays float32 (norms, biases) is all that tensors() lists
      long floats = half.tensors().values().stream().mapToLong(a -> a.getShape().size()).sum();
      assertEquals(full.parameterCount(), matrices + floats);
      assertThrows(
          IllegalStateException.class,
          () ->
              LoraAdapter.init(LoraConfig.of(4, 8, 0, List.of("all-linear")), half, 1)
                  .mergeInto(half));

      String f = FIXTURE + "/expected_logits.safetensors";
      NDArray ids = read(m, f, "input_ids"), mask = read(m, f, "attention_mask");
      NDArray hf = read(m, f, "logits");
      NDArray a = new Decoder(full).forward(ids, mask, false);
      NDArray b = new Decoder(half).forward(ids, mask, false);
      NDArray real = mask.expandDims(-1).toType(DataType.FLOAT32, false); // padding rows aside
      double rmsA = Math.sqrt(a.mul(real).square().mean().getFloat());
      double rms = Math.sqrt(a.sub(b).mul(real).square().mean().getFloat());
      double maxDiff = a.sub(b).mul(real).abs().max().getFloat();
      double hfDiff = hf.sub(b).mul(real).abs().max().getFloat();
      double agree =
          a.argMax(-1).eq(b.argMax(-1)).toType(DataType.FLOAT32, false).mean().getFloat();
      System.out.printf(
          "frozen bf16: logits rms Δ / rms %.4f, max |Δ| %.4f (transformers float32: %.4f),"
              + " argmax agreement %.3f; bf16 matrices %d of %d parameters%n",
          rms / rmsA, maxDiff, hfDiff, agree, matrices, full.parameterCount());
      // each matmul rounds its weights and inputs to bf16 (≈ 2⁻⁹ relative each): a few tenths of
      // a percent, compounded over two layers; a float32 path would be ~1e-7
      assertTrue(rms / rmsA < 0.02, "relative rms diff " + rms / rmsA);
      assertTrue(rms / rmsA > 1e-4, "the bf16 path actually ran: " + rms / rmsA);
      assertTrue(agree > 0.9, "argmax agreement " + agree);
    }
  }

  /**
   * Converting after a float32 load (the path of a base with merged adapters, and of Q-LoRA's
   * embedding and lm_head beside NF4 linears) gives the very model a bf16 load gives.
   */
  @Test
  void freezingAfterLoadingEqualsLoadingInBf16AndComposesWithNf4() {
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = new NoGrad();
        DecoderWeights direct =
            DecoderWeights.load(path(FIXTURE), m, DecoderWeights.LoadProgress.NONE, true);
        DecoderWeights later = DecoderWeights.load(path(FIXTURE), m);
        DecoderWeights qlora = DecoderWeights.load(path(FIXTURE), m)) {
      later.freezeInBf16();
      String f = FIXTURE + "/expected_logits.safetensors";
      NDArray ids = read(m, f, "input_ids"), mask = read(m, f, "attention_mask");
      NDArray a = new Decoder(direct).forward(ids, mask, false);
      NDArray b = new Decoder(later).forward(ids, mask, false);
      assertEquals(0f, a.sub(b).abs().max().getFloat(), "bit-identical logits");

      qlora.quantizeLinears(true);
      qlora.freezeInBf16();
      assertTrue(qlora.quantized() && qlora.isBf16("model.embed_tokens.weight"));
      assertTrue(qlora.isBf16("lm_head.weight"));
      assertFalse(qlora.isBf16("model.layers.0.mlp.up_proj.weight"), "NF4 stays NF4");
      NDArray c = new Decoder(qlora).forward(ids, mask, false);
      double agree =
          a.argMax(-1).eq(c.argMax(-1)).toType(DataType.FLOAT32, false).mean().getFloat();
      assertTrue(agree > 0.8, "NF4 + bf16 logits agree with bf16's argmax: " + agree);
    }
  }

  @Test
  void loraTrainsOverABf16BaseWithGradientsCloseToFloat32() {
    long[] ids = new long[24];
    for (int i = 0; i < ids.length; i++) ids[i] = 5 + (i * 37) % 200;
    MicroBatch batch = new MicroBatch(2, 12, ids, ids.clone(), null);
    Map<String, float[]> grads32 = new java.util.HashMap<>();
    double[] losses = new double[2];
    for (boolean bf16 : new boolean[] {false, true}) {
      Engine.getInstance().setRandomSeed(5);
      try (NDManager m = NDManager.newBaseManager();
          DecoderWeights w =
              DecoderWeights.load(path(FIXTURE), m, DecoderWeights.LoadProgress.NONE, bf16);
          LoraAdapter lora =
              LoraAdapter.init(LoraConfig.of(4, 8, 0, List.of("all-linear")), w, 9)) {
        Decoder model = new Decoder(w);
        model.setHook(lora);
        try (AdamW opt =
            new AdamW(lora.parameters(), AdamW.Hyper.defaults(0), m, AdamW::isNoDecay)) {
          CausalLmTrainer t =
              new CausalLmTrainer(
                  model,
                  new Optimization(opt, LrSchedule.withWarmupRatio("constant", 0, 8), 1e-2, 1));
          // the loss's gradients at the start (B is zero at init, so A's are zero: B's compare)
          double worst = 0, largest = 0;
          try (ai.djl.training.GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray x = m.create(ids, new Shape(2, 12));
            gc.backward(CausalLmLoss.mean(model.forward(x, null, true), x));
            for (var e : lora.parameters().entrySet()) {
              float[] g = e.getValue().getGradient().toFloatArray();
              for (float v : g) largest = Math.max(largest, Math.abs(v));
              if (!bf16) grads32.put(e.getKey(), g);
              else worst = Math.max(worst, relDiff(grads32.get(e.getKey()), g));
            }
          }
          assertTrue(largest > 0, "gradients to compare");
          opt.zeroGrad();
          double first = t.step(List.of(batch)).loss();
          for (int s = 1; s < 8; s++) t.step(List.of(batch));
          double last;
          try (NoGrad ng = new NoGrad()) {
            NDArray x = m.create(ids, new Shape(2, 12));
            last = CausalLmLoss.mean(model.forward(x, null, false), x).getFloat();
          }
          losses[bf16 ? 1 : 0] = last;
          System.out.printf(
              "LoRA over a %s base: loss %.4f -> %.4f%s%n",
              bf16 ? "bf16" : "float32",
              first,
              last,
              bf16 ? String.format(", first-step gradients vs float32: %.2e relative", worst) : "");
          assertTrue(last < first * 0.9, "LoRA learned: " + first + " -> " + last);
          if (bf16) assertTrue(worst < 0.05, "gradients within bf16 rounding: " + worst);
        }
      }
    }
    assertEquals(losses[0], losses[1], 0.02 * losses[0], "bf16 base trains as float32 does");
  }

  @Test
  void greedyGenerationWithTheKvCacheMatchesTheUncachedBf16Forward() {
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = new NoGrad();
        DecoderWeights w =
            DecoderWeights.load(path(FIXTURE), m, DecoderWeights.LoadProgress.NONE, true)) {
      Decoder model = new Decoder(w);
      long[] prompt = {5, 17, 42, 99, 3};
      long[] seq = new Generator(model).generate(List.of(prompt), SamplingConfig.greedy(6)).get(0);
      assertEquals(prompt.length + 6, seq.length);
      // each new token the argmax of a full forward over everything before it
      for (int t = prompt.length; t < seq.length; t++) {
        NDArray x = m.create(java.util.Arrays.copyOf(seq, t), new Shape(1, t));
        long want = model.forward(x, null, false).get("0, -1").argMax().getLong();
        assertEquals(want, seq[t], "token " + t);
      }
    }
  }

  static double relDiff(float[] want, float[] got) {
    double d = 0, s = 0;
    for (int i = 0; i < want.length; i++) {
      d = Math.max(d, Math.abs(want[i] - got[i]));
      s = Math.max(s, Math.abs(want[i]));
    }
    return s == 0 ? d : d / s;
  }
}
