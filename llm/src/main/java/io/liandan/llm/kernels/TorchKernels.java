package io.liandan.llm.kernels;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The kernels inside libtorch: the TorchScript module of {@code ops.py}, written as an archive
 * ({@link KernelArchive}) and loaded once per process. Attention runs torch's
 * scaled_dot_product_attention (the flash kernel on CPU, with the model's additive mask), AdamW
 * torch's {@code _fused_adamw_} (one kernel for all tensors of a group). Gemma 2's soft-capped
 * attention stays on the reference path: SDPA cannot cap the scores.
 *
 * <p>Training-path calls go through {@link IValueUtils#forward(PtSymbolBlock, NDList, boolean)}
 * with isTrain=true, which names the method by an input called {@code module_method:NAME}: the
 * outputs then join DJL's autograd graph. (DJL's {@code runMethod} runs under InferenceMode, which
 * records no graph; the optimizer step needs none.)
 */
final class TorchKernels implements Kernels {
  private static volatile TorchKernels instance;

  private final PtSymbolBlock module;
  private final NDArray attentionMethod; // carries only the name module_method:attention
  private final AtomicLong sdpaCalls = new AtomicLong();
  private final AtomicLong decodeCalls = new AtomicLong();
  private final java.util.Map<String, NDArray> markers =
      new java.util.concurrent.ConcurrentHashMap<>(); // by method, for differentiable calls
  private static final NDManager MARKERS = NDManager.newBaseManager(Device.cpu(), "PyTorch");
  private static final NDArray NONE = MARKERS.create(new float[0]); // a script's "no tensor"
  private NDArray lastBias; // the bias blindRows saw last, and its answer
  private boolean lastBlind;

  /** A bias at or below this masks its key (the model masks with -Float.MAX_VALUE). */
  private static final float BLIND = -1e30f;

  private TorchKernels(PtSymbolBlock module, NDArray attentionMethod) {
    this.module = module;
    this.attentionMethod = attentionMethod;
  }

  /** The process's kernel module, written and loaded on first use. */
  static TorchKernels get() {
    TorchKernels k = instance;
    if (k != null) return k;
    synchronized (TorchKernels.class) {
      if (instance == null) instance = load();
      return instance;
    }
  }

  private static TorchKernels load() {
    // lives as long as the process: the module holds no tensors, its methods run on any device
    PtNDManager manager = (PtNDManager) NDManager.newBaseManager(Device.cpu(), "PyTorch");
    Path archive = KernelArchive.writeTemp();
    PtSymbolBlock module =
        JniUtils.loadModule(manager, archive, true, new String[0], new String[0], false);
    NDArray marker = manager.zeros(new Shape(), DataType.FLOAT32);
    marker.setName("module_method:attention");
    return new TorchKernels(module, marker);
  }

  @Override
  public String name() {
    return "torch";
  }

  /**
   * SDPA, except where its gradient would differ from eager attention's: Gemma 2's soft-cap, and a
   * differentiable call whose mask blinds some query to every key (a left-padding position in a
   * training batch, or a padding position past a sliding window). Both paths give such a row the
   * uniform average of the values, but eager attention differentiates a softmax of equal -max
   * scores (so the row's gradient reaches q and every k, as in transformers' eager attention) while
   * flash drops it; a loss that reads the row (the last left pad predicting the first token) would
   * then see other gradients. Right-padded training batches and all of generation take SDPA.
   */
  @Override
  public NDArray attention(
      NDArray q, NDArray k, NDArray v, NDArray bias, NDArray scale, NDArray cap) {
    if (cap != null || (bias != null && blindRows(bias) && differentiable(q, k, v))) {
      return ReferenceKernels.INSTANCE.attention(q, k, v, bias, scale, cap);
    }
    sdpaCalls.incrementAndGet();
    if (!JniUtils.isGradMode()) return inference(q, k, v, bias, scale);
    if (bias == null) { // a no-grad decode step in practice; the training path takes a mask
      try (NDArray zero = q.getManager().zeros(new Shape(1, 1, 1, 1, k.getShape().get(2)))) {
        return attention(q, k, v, zero, scale, null);
      }
    }
    NDList in = new NDList(q, k, v, bias, scale, attentionMethod);
    return run(in); // (B, nH, T, hd)
  }

  /**
   * Attention where nothing records a graph (generation, reference models): runMethod, under
   * InferenceMode, costs a third of the training path's call (measured 37 against 93 µs at a decode
   * step's shapes), which takes 24 of them a token for a 24-layer model.
   */
  private NDArray inference(NDArray q, NDArray k, NDArray v, NDArray bias, NDArray scale) {
    PtNDManager m = (PtNDManager) q.getManager();
    return bias == null
        ? call("attention_unmasked", out -> out.toTensor(m), q, k, v, scale)
        : call("attention", out -> out.toTensor(m), q, k, v, bias, scale); // (B, nH, T, hd)
  }

  /**
   * Whether autograd records through any of q, k, v, asked of torch inside the script: DJL's {@code
   * JniUtils.requiresGrad} read false for a result with a grad_fn (measured: {@code w.mul(2)} of a
   * requires-grad {@code w}, grad_fn MulBackward0), and its {@code getGradientFunctionNames}
   * crashes the JVM (SIGSEGV in {@code torchGradFnName}) on a tensor without a grad_fn.
   */
  private boolean differentiable(NDArray q, NDArray k, NDArray v) {
    if (!JniUtils.isGradMode()) return false;
    return call("requires_grad", IValue::toBoolean, q, k, v);
  }

  /**
   * Whether some query of {@code bias} sees no key; remembered for the last bias, which every layer
   * of one kind (full or sliding) shares within a forward.
   */
  private synchronized boolean blindRows(NDArray bias) {
    if (bias != lastBias) {
      try (NDArray seen = bias.max(new int[] {-1}).gt(BLIND)) { // (B|1, 1, 1, T)
        lastBlind = !seen.all().getBoolean();
      }
      lastBias = bias;
    }
    return lastBlind;
  }

  /** SDPA calls so far: lets tests see which path ran. */
  static long sdpaCalls() {
    return get().sdpaCalls.get();
  }

  /** Decode steps run in one call so far (tests). */
  static long decodeCalls() {
    return get().decodeCalls.get();
  }

  @Override
  public NDArray rmsNorm(NDArray x, NDArray weight, NDArray eps) {
    return differentiable("rms_norm", x, weight, eps);
  }

  @Override
  public NDArray rope(NDArray x, NDArray cos, NDArray sin) {
    return differentiable("rope", x, cos, sin);
  }

  @Override
  public NDArray swiglu(NDArray gate, NDArray up) {
    return differentiable("swiglu", gate, up);
  }

  @Override
  public boolean unscaleGrads(List<NDArray> grads, double invScale) {
    if (grads.isEmpty()) return true;
    return call("unscale_grads", IValue::toBoolean, grads, invScale);
  }

  @Override
  public void adamw(AdamWStep s) {
    if (s.params().isEmpty()) return;
    call(
        "adamw",
        out -> null,
        s.params(),
        s.grads(),
        s.expAvg(),
        s.expAvgSq(),
        (double) s.step(),
        s.lr(),
        s.beta1(),
        s.beta2(),
        s.weightDecay(),
        s.eps());
  }

  /**
   * {@code dst.copy_(raw viewed as dtype)}: raw's bytes reinterpreted as the c10 scalar type {@code
   * dtype} and widened into {@code dst} in place, under InferenceMode (which allows in-place writes
   * to normal tensors and records nothing).
   */
  void copyFromBytes(NDArray dst, NDArray raw, int dtype) {
    call("copy_from_bytes", out -> null, dst, raw, (long) dtype); // returns dst
  }

  /**
   * An unfilled (n) bfloat16 tensor on {@code manager}'s device, owned by it; made outside
   * InferenceMode (the training path's call), since autograd refuses to save an inference tensor
   * for backward — and a frozen weight is saved by every matmul that LoRA differentiates through.
   */
  NDArray emptyBf16(long n, NDManager manager) {
    try (NDArray size = manager.create(new long[] {n})) {
      NDList in = new NDList(size, markers.computeIfAbsent("empty_bf16", TorchKernels::marker));
      return run(in);
    }
  }

  /** {@code dst.copy_(src)}: src converted to dst's dtype, in place, under InferenceMode. */
  void copyInto(NDArray dst, NDArray src) {
    call("copy_into", out -> null, dst, src);
  }

  /**
   * x (…, in) float32 · bf16 w (out, in)ᵀ → (…, out) float32; recorded by autograd in grad mode.
   */
  NDArray linearBf16(NDArray x, NDArray w) {
    return differentiable("linear_bf16", x, w);
  }

  /** Rows {@code ids} (B, T) of the bf16 table w (V, C), as float32 (B, T, C). */
  NDArray embeddingBf16(NDArray w, NDArray ids) {
    PtNDManager m = (PtNDManager) ids.getManager();
    return call("embedding_bf16", out -> out.toTensor(m), w, ids);
  }

  /** x as float32, a new tensor on x's manager (not recorded by autograd). */
  NDArray toFloat32(NDArray x) {
    PtNDManager m = (PtNDManager) x.getManager();
    return call("to_float32", out -> out.toTensor(m), x);
  }

  @Override
  public NDArray decode(DecodeStep s) {
    if (JniUtils.isGradMode()) return null; // the script's outputs would join no graph
    decodeCalls.incrementAndGet();
    PtNDManager m = (PtNDManager) s.x().getManager();
    return call(
        "decode",
        out -> out.toTensor(m),
        s.x(),
        s.weights(),
        s.caches(),
        s.cos(),
        s.sin(),
        s.bias(),
        s.pos(),
        s.eps(),
        s.scale(),
        (long) s.heads(),
        (long) s.kvHeads(),
        (long) s.headDim()); // (B, 1, C)
  }

  /** Bytes per element of x as torch stores it (2 for bf16, which DJL reports as UNKNOWN). */
  long elementSize(NDArray x) {
    return call("element_size", IValue::toLong, x);
  }

  /** The training path's call: the method named by the marker last in {@code in}. */
  private NDArray run(NDList in) {
    plainInterpreter();
    return IValueUtils.forward(module, in, true).singletonOrThrow();
  }

  private static final ThreadLocal<Boolean> OPTIMIZING = new ThreadLocal<>(); // as set in torch

  /**
   * Sets TorchScript's graph optimizer (a thread-local libtorch setting) to what {@link Fusion}
   * asks on this thread: off unless inside {@link Fusion#on}. With it on, the profiling executor
   * re-optimizes a method after its first runs (fusing element-wise chains such as RMSNorm's),
   * which may round differently from the first runs: a LoRA run resumed in a fresh JVM parted from
   * the uninterrupted one in the last bit of an adapter weight (ResumeInFreshJvmTest) once RMSNorm,
   * RoPE and SwiGLU ran in the script, and matched again with it off. Training, references and
   * evaluation therefore run the plain interpreter; generation, where the fused plans decode 4–7 %
   * faster and no state carries over, turns it on.
   */
  private static void plainInterpreter() {
    boolean want = Fusion.active();
    if (!Boolean.valueOf(want).equals(OPTIMIZING.get())) {
      JniUtils.setGraphExecutorOptimize(want);
      OPTIMIZING.set(want);
    }
  }

  /**
   * Method {@code method} of the script on tensors: in grad mode through the training path, so the
   * result joins autograd's graph (a marker input names the method, see the class comment); else
   * under InferenceMode, a third of the cost.
   */
  private NDArray differentiable(String method, NDArray... args) {
    if (!JniUtils.isGradMode()) {
      PtNDManager m = (PtNDManager) args[0].getManager();
      return call(method, out -> out.toTensor(m), (Object[]) args);
    }
    // DJL passes a named input (a weight) as a dict: an unnamed view of it goes instead
    NDList in = new NDList(args.length + 1);
    for (NDArray a : args) in.add(a.getName() == null ? a : a.reshape(a.getShape()));
    in.add(markers.computeIfAbsent(method, TorchKernels::marker));
    return run(in);
  }

  private static NDArray marker(String method) {
    NDArray a = MARKERS.zeros(new Shape(), DataType.FLOAT32);
    a.setName("module_method:" + method);
    return a;
  }

  /**
   * The script's method {@code method} under InferenceMode ({@code runMethod}) on {@code args} —
   * tensors, lists of tensors, longs and doubles; a null tensor, alone or in a list, goes as an
   * empty one, which the script reads as "none" — with {@code read} applied to its result; every
   * IValue made here is closed, the result's included.
   */
  @SuppressWarnings("unchecked")
  private <T> T call(String method, Function<IValue, T> read, Object... args) {
    plainInterpreter();
    IValue[] in = new IValue[args.length];
    try {
      for (int i = 0; i < in.length; i++) {
        Object a = args[i] == null ? NONE : args[i];
        in[i] =
            a instanceof NDArray t
                ? IValue.from((PtNDArray) t)
                : a instanceof List<?> l
                    ? list((List<NDArray>) l)
                    : a instanceof Long n ? IValue.from(n) : IValue.from((Double) a);
      }
      try (IValue out = IValueUtils.runMethod(module, method, in)) {
        return read.apply(out);
      }
    } finally {
      for (IValue i : in) if (i != null) i.close();
    }
  }

  private static IValue list(List<NDArray> arrays) {
    return IValue.listFrom(
        arrays.stream().map(a -> (PtNDArray) (a == null ? NONE : a)).toArray(PtNDArray[]::new));
  }
}
