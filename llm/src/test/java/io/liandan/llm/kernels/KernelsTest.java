package io.liandan.llm.kernels;

import static io.liandan.llm.Fixtures.assertMaxAbs;
import static io.liandan.llm.Fixtures.assertRel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.liandan.llm.Fixtures;
import io.liandan.llm.tensor.NoGrad;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The torch kernels against the reference (DJL-op) kernels on random inputs. */
class KernelsTest {
  private static final long SEED = 20261206L;

  /**
   * Values and gradients of q, k, v equal on both paths, for prefill and cached decoding, left and
   * right padding, GQA, MQA and MHA, full and sliding-window masks, with and without Gemma 2's
   * soft-cap; and which path the torch kernels took: SDPA unless the scores are capped or, when
   * differentiating, some query sees no key (then eager attention, whose gradient there differs).
   */
  @ParameterizedTest(
      name = "nKv {0}, T {1}, past {2}, window {3}, cap {4}, row 0 padded {5}, blind {6}")
  @CsvSource({
    "2, 9, 0, 0, 0, right, false", // GQA prefill: rows right-padded by 2 and 3, a full row
    "4, 9, 0, 0, 0, right, false", // MHA
    "1, 9, 0, 4, 0, right, false", // MQA with a sliding window of 4
    "1, 9, 0, 3, 0, right, true", // window 3: row 1's last query sees only padding
    "2, 9, 0, 0, 0, left, true", // row 0's first two queries see nothing
    "1, 9, 0, 3, 0, left, true",
    "2, 1, 8, 0, 0, left, false", // one decoding step over a cache of 8
    "2, 3, 6, 4, 0, left, false", // a chunk of 3 over a cache of 6, sliding window of 4
    "2, 9, 0, 0, 5, right, false" // Gemma 2's soft-capped scores: eager
  })
  void attentionEqualsTheReferenceInValuesAndGradients(
      int nKv, int T, int past, int window, double cap, String row0, boolean blindCase) {
    int B = 3, nH = 4, hd = 16, Tk = past + T;
    Random r = new Random(SEED + 31L * nKv + T + past + window + row0.length());
    float[] q = gauss(r, B * nH * T * hd), k = gauss(r, B * nKv * Tk * hd);
    float[] v = gauss(r, B * nKv * Tk * hd), dy = gauss(r, B * nH * T * hd);
    // row 0 padded by 2 on the left or right, row 1 right-padded by 3, row 2 all real
    int[][] real = new int[B][Tk];
    for (int j = 0; j < Tk; j++) {
      real[0][j] = (row0.equals("left") ? j >= 2 : j < Tk - 2) ? 1 : 0;
      real[1][j] = j < Tk - 3 ? 1 : 0;
      real[2][j] = 1;
    }
    float[] bias = bias(real, T, past, window);
    boolean blind = false;
    for (int row = 0; row < B * T; row++) {
      boolean sees = false;
      for (int j = 0; j < Tk; j++) sees |= bias[row * Tk + j] == 0;
      blind |= !sees;
    }
    assertEquals(blindCase, blind, "the case's blind queries");
    Kernels torch = Kernels.named("torch");
    try (NDManager m = NDManager.newBaseManager()) {
      List<NDArray> ref =
          run(Kernels.named("reference"), m, B, nH, nKv, T, Tk, hd, q, k, v, dy, bias, cap);
      long before = TorchKernels.sdpaCalls();
      List<NDArray> got = run(torch, m, B, nH, nKv, T, Tk, hd, q, k, v, dy, bias, cap);
      boolean sdpa = cap == 0 && !blind;
      assertEquals(sdpa ? 1 : 0, TorchKernels.sdpaCalls() - before, "SDPA calls");
      assertMaxAbs(ref.get(0), got.get(0), 1e-5, "attention output");
      String[] names = {"dq", "dk", "dv"};
      for (int i = 1; i < 4; i++) {
        double rel = assertRel(ref.get(i), got.get(i), 1e-4, names[i - 1]);
        assertTrue(ref.get(i).abs().max().getFloat() > 0, names[i - 1] + " is not zero");
        System.out.printf("attention %s: rel diff %.2e%n", names[i - 1], rel);
      }
      // without autograd (generation) SDPA takes the blind queries too: same values
      try (NoGrad ng = new NoGrad()) {
        NDArray qa = m.create(q, new Shape(B, nH, T, hd));
        NDArray ka = m.create(k, new Shape(B, nKv, Tk, hd));
        NDArray va = m.create(v, new Shape(B, nKv, Tk, hd));
        NDArray b = m.create(bias, new Shape(B, 1, 1, T, Tk));
        NDArray scale = m.create((float) (1 / Math.sqrt(hd)));
        before = TorchKernels.sdpaCalls();
        NDArray y = torch.attention(qa, ka, va, b, scale, cap == 0 ? null : m.create((float) cap));
        assertEquals(cap == 0 ? 1 : 0, TorchKernels.sdpaCalls() - before, "SDPA calls, no grad");
        assertMaxAbs(ref.get(0), y, 1e-5, "attention output without autograd");
      }
    }
  }

  /**
   * No mask (a decode step without padding): both paths give what a mask of zeros gives, with one
   * query (the torch script's grouped matmuls) and with several (SDPA), for GQA, MQA and MHA, with
   * keys that are a view of a longer cache buffer as the preallocated KV cache passes them.
   */
  @ParameterizedTest(name = "nKv {0}, T {1}")
  @CsvSource({"2, 1", "1, 1", "4, 1", "2, 3"})
  void attentionWithoutAMaskEqualsAZeroMask(int nKv, int T) {
    int B = 1, nH = 4, hd = 16, Tk = 11, cap = 16;
    Random r = new Random(SEED + nKv * 7L + T);
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = new NoGrad()) {
      NDArray q = m.create(gauss(r, B * nH * T * hd), new Shape(B, nH, T, hd));
      NDArray kBuf = m.create(gauss(r, B * nKv * cap * hd), new Shape(B, nKv, cap, hd));
      NDArray vBuf = m.create(gauss(r, B * nKv * cap * hd), new Shape(B, nKv, cap, hd));
      NDArray k = kBuf.get(":, :, 0:" + Tk), v = vBuf.get(":, :, 0:" + Tk);
      NDArray zero = m.zeros(new Shape(1, 1, 1, T, Tk));
      NDArray scale = m.create((float) (1 / Math.sqrt(hd)));
      NDArray want = Kernels.named("reference").attention(q, k, v, zero, scale, null);
      for (String name : List.of("reference", "torch")) {
        NDArray got = Kernels.named(name).attention(q, k, v, null, scale, null);
        assertEquals(new Shape(B, nH, T, hd), got.getShape(), name);
        assertMaxAbs(want, got, 1e-5, name + " without a mask");
      }
    }
  }

  private static List<NDArray> run(
      Kernels kernels,
      NDManager m,
      int B,
      int nH,
      int nKv,
      int T,
      int Tk,
      int hd,
      float[] q,
      float[] k,
      float[] v,
      float[] dy,
      float[] bias,
      double cap) {
    NDArray qa = m.create(q, new Shape(B, nH, T, hd));
    NDArray ka = m.create(k, new Shape(B, nKv, Tk, hd));
    NDArray va = m.create(v, new Shape(B, nKv, Tk, hd));
    NDArray b = m.create(bias, new Shape(B, 1, 1, T, Tk));
    NDArray scale = m.create((float) (1 / Math.sqrt(hd)));
    NDArray capA = cap == 0 ? null : m.create((float) cap);
    for (NDArray a : List.of(qa, ka, va)) a.setRequiresGradient(true);
    NDArray y;
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      y = kernels.attention(qa, ka, va, b, scale, capA);
      gc.backward(y.mul(m.create(dy, y.getShape())).sum());
    }
    return List.of(
        y.duplicate(),
        qa.getGradient().duplicate(),
        ka.getGradient().duplicate(),
        va.getGradient().duplicate());
  }

  /** The model's additive mask, computed independently: (B, 1, 1, T, Tk) flattened. */
  private static float[] bias(int[][] real, int T, int past, int window) {
    int B = real.length, Tk = real[0].length;
    float[] out = new float[B * T * Tk];
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++)
        for (int j = 0; j < Tk; j++) {
          int at = past + t;
          boolean seen = j <= at && real[b][j] == 1 && (window == 0 || j > at - window);
          out[(b * T + t) * Tk + j] = seen ? 0 : -Float.MAX_VALUE;
        }
    return out;
  }

  /** Three steps of fused AdamW equal three of the per-tensor reference, decay on and off. */
  @Test
  void fusedAdamWEqualsTheReference() {
    Random r = new Random(SEED);
    int n = 5;
    List<float[]> init = new ArrayList<>(), grads = new ArrayList<>();
    for (int i = 0; i < n; i++) init.add(gauss(r, 37 + 11 * i));
    for (int s = 0; s < 3 * n; s++) grads.add(gauss(r, 37 + 11 * (s % n)));
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = new NoGrad()) {
      List<List<NDArray>> ref = adam(Kernels.named("reference"), m, init, grads);
      List<List<NDArray>> torch = adam(Kernels.named("torch"), m, init, grads);
      for (int g = 0; g < 3; g++)
        for (int i = 0; i < n; i++) {
          double rel = assertRel(ref.get(g).get(i), torch.get(g).get(i), 1e-6, g + "/" + i);
          System.out.printf("adamw state %d of tensor %d: rel diff %.2e%n", g, i, rel);
        }
      // the update moved the parameters (not a no-op on both sides)
      assertTrue(Fixtures.maxAbs(m.create(init.get(0)), ref.get(0).get(0)) > 1e-3);
    }
  }

  /** params, exp_avg, exp_avg_sq after three steps (lr 1e-2, betas 0.9/0.99, decay 0.1). */
  private static List<List<NDArray>> adam(
      Kernels kernels, NDManager m, List<float[]> init, List<float[]> grads) {
    int n = init.size();
    List<NDArray> p = new ArrayList<>(), ea = new ArrayList<>(), eas = new ArrayList<>();
    for (float[] x : init) {
      p.add(m.create(x));
      ea.add(m.zeros(new Shape(x.length)));
      eas.add(m.zeros(new Shape(x.length)));
    }
    for (int s = 0; s < 3; s++) {
      List<NDArray> g = new ArrayList<>();
      for (int i = 0; i < n; i++) g.add(m.create(grads.get(s * n + i)));
      // tensors 0..2 decayed, 3..4 not, as AdamW groups them
      for (int[] group : new int[][] {{0, 3}, {3, n}}) {
        int from = group[0], to = group[1];
        kernels.adamw(
            new Kernels.AdamWStep(
                p.subList(from, to),
                g.subList(from, to),
                ea.subList(from, to),
                eas.subList(from, to),
                s + 1,
                1e-2,
                0.9,
                0.99,
                1e-8,
                from == 0 ? 0.1 : 0));
      }
    }
    return List.of(p, ea, eas);
  }

  /**
   * RMSNorm (with a named weight, as the model passes its parameters), RoPE on whole heads and on
   * Phi-3's partial rotary slice, and SwiGLU: values and the gradients of every input equal on both
   * paths, and again (bit for bit) on the torch path's later calls, where the plain interpreter
   * must not have re-planned anything.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"rmsNorm", "rope", "ropePartial", "swiglu"})
  void elementwiseOpsEqualTheReferenceInValuesAndGradients(String op) {
    Random r = new Random(SEED + op.length());
    int B = 2, h = 3, T = 5, hd = 8, rd = op.equals("ropePartial") ? 4 : hd;
    Shape xShape = op.startsWith("rope") ? new Shape(B, h, T, hd) : new Shape(B, T, 3 * hd);
    int n = (int) xShape.size();
    float[] x = gauss(r, n), dy = gauss(r, n), other = gauss(r, n);
    float[] w = gauss(r, 3 * hd), angles = gauss(r, T * rd / 2);
    try (NDManager m = NDManager.newBaseManager()) {
      List<NDArray> ref = null;
      for (int call = 0; call < 4; call++) { // 0: reference, then the torch path three times
        Kernels kernels = Kernels.named(call == 0 ? "reference" : "torch");
        NDArray xa = m.create(x, xShape);
        NDArray second =
            op.equals("rmsNorm")
                ? m.create(w, new Shape(3 * hd))
                : op.equals("swiglu") ? m.create(other, xShape) : null;
        if (second != null) second.setName("weight");
        List<NDArray> inputs = second == null ? List.of(xa) : List.of(xa, second);
        for (NDArray a : inputs) a.setRequiresGradient(true);
        NDArray y;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          y =
              switch (op) {
                case "rmsNorm" -> kernels.rmsNorm(xa, second, m.create(1e-6f));
                case "swiglu" -> kernels.swiglu(xa, second);
                default ->
                    kernels.rope(
                        xa, cosSin(m, angles, T, rd, true), cosSin(m, angles, T, rd, false));
              };
          gc.backward(y.mul(m.create(dy, y.getShape())).sum());
        }
        List<NDArray> got = new ArrayList<>(List.of(y.duplicate()));
        for (NDArray a : inputs) got.add(a.getGradient().duplicate());
        if (ref == null) {
          ref = got;
          continue;
        }
        for (int i = 0; i < got.size(); i++) {
          String what = op + (i == 0 ? " value" : " gradient " + i) + ", torch call " + call;
          assertTrue(ref.get(i).abs().max().getFloat() > 0, what + " is not zero");
          if (call == 1) assertRel(ref.get(i), got.get(i), 1e-5, what);
          else assertEquals(ref.get(i).size(), got.get(i).size());
        }
        if (call == 1) ref = got; // later torch calls must repeat the first to the bit
        else
          for (int i = 0; i < got.size(); i++)
            assertTrue(
                Arrays.equals(ref.get(i).toFloatArray(), got.get(i).toFloatArray()),
                op + ": torch call " + call + " differs from its first call in output " + i);
      }
    }
  }

  /**
   * cos or sin of the angles, (1, 1, T, rd) with each half repeated as transformers builds them.
   */
  private static NDArray cosSin(NDManager m, float[] angles, int T, int rd, boolean cos) {
    float[] out = new float[T * rd];
    for (int t = 0; t < T; t++)
      for (int j = 0; j < rd; j++) {
        double a = angles[t * rd / 2 + j % (rd / 2)];
        out[t * rd + j] = (float) (cos ? Math.cos(a) : Math.sin(a));
      }
    return m.create(out, new Shape(1, 1, T, rd));
  }

  /**
   * fp16's unscale: both paths multiply every gradient by 1/scale to the same bits and report
   * whether all are finite; an inf or a NaN anywhere in the list says no, an empty list yes.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"finite", "inf", "nan"})
  void unscaleEqualsTheReferenceAndFindsInfAndNan(String kase) {
    Random r = new Random(SEED + kase.length());
    float[][] g = {gauss(r, 7), gauss(r, 64), gauss(r, 1)};
    if (kase.equals("inf")) g[1][5] = Float.POSITIVE_INFINITY;
    if (kase.equals("nan")) g[2][0] = Float.NaN;
    double inv = 1 / 65536.0;
    try (NDManager m = NDManager.newBaseManager()) {
      List<float[]> results = new ArrayList<>();
      for (String name : List.of("reference", "torch")) {
        List<NDArray> grads = new ArrayList<>();
        for (float[] a : g) grads.add(m.create(a));
        boolean finite = Kernels.named(name).unscaleGrads(grads, inv);
        assertEquals(kase.equals("finite"), finite, name + ": all finite");
        float[] all = new float[0];
        for (NDArray a : grads) all = concat(all, a.toFloatArray());
        results.add(all);
        assertTrue(Kernels.named(name).unscaleGrads(List.of(), inv), name + ": nothing to unscale");
      }
      assertTrue(Arrays.equals(results.get(0), results.get(1)), "same unscaled gradients");
      assertEquals(g[0][0] * (float) inv, results.get(1)[0], "scaled in place");
    }
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Fusion scopes nest: the graph optimizer is allowed until the outermost scope closes. */
  @Test
  void fusionScopesNest() {
    assertTrue(!Fusion.active(), "no scope open at the start");
    try (Fusion outer = Fusion.on()) {
      try (Fusion inner = Fusion.on()) {
        assertTrue(Fusion.active());
      }
      assertTrue(Fusion.active(), "still inside the outer scope");
    }
    assertTrue(!Fusion.active(), "closed");
  }

  @Test
  void anUnknownNameIsRefusedNamingTheChoices() {
    var e = assertThrows(IllegalArgumentException.class, () -> Kernels.named("fast"));
    assertTrue(e.getMessage().contains("\"torch\" or \"reference\""), e.getMessage());
    assertEquals("reference", Kernels.named("Reference").name());
    assertEquals("torch", Kernels.named("torch").name());
  }

  private static float[] gauss(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
    return a;
  }
}
