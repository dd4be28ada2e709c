package io.liandan.llm.kernels;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Locale;

/**
 * The hot operations of a training step behind one interface, so that their implementation can be
 * switched by one setting: {@code reference} runs them as DJL ops (the parity baseline), {@code
 * torch} inside libtorch through a TorchScript module that Java writes itself ({@link
 * TorchKernels}: flash attention, fused AdamW, RMSNorm, RoPE and SwiGLU each one call). Both give
 * the same numbers to float32 rounding.
 */
public interface Kernels {
  /** The system property (tests, generation) that picks the kernels when no argument does. */
  String PROPERTY = "liandan.kernels";

  /** The environment variable read when {@link #PROPERTY} is unset. */
  String ENV = "LIANDAN_KERNELS";

  /** The kernels used when nothing is set: the ones whose parity tests pass. */
  String DEFAULT = "torch";

  /** {@code torch} or {@code reference}. */
  String name();

  /**
   * Softmax attention with an additive mask, grouped-query: softmax(q·kᵀ·scale [soft-capped] +
   * bias)·v, differentiable in q, k, v.
   *
   * @param q (B, nH, T, hd)
   * @param k (B, nKv, Tk, hd), nH a multiple of nKv; query head h reads key head h / (nH/nKv)
   * @param v (B, nKv, Tk, hd)
   * @param bias (B|1, 1, 1, T, Tk) float32: 0 where a query may see a key, a large negative where
   *     not; null where every query sees every key (a decode step without padding)
   * @param scale 0-d float32 multiplier of the scores
   * @param cap 0-d float32 soft-cap of the scores (cap·tanh(s/cap), before the bias), or null
   * @return (B, nH, T, hd)
   */
  NDArray attention(NDArray q, NDArray k, NDArray v, NDArray bias, NDArray scale, NDArray cap);

  /**
   * transformers' RMSNorm in float32: weight · x · rsqrt(mean(x², -1) + eps).
   *
   * @param x (…, C)
   * @param weight (C), Gemma's already offset to 1 + w
   * @param eps 0-d float32
   */
  NDArray rmsNorm(NDArray x, NDArray weight, NDArray eps);

  /**
   * Rotary embedding: x·cos + rotate_half(x)·sin on the first rd = cos.size(3) dimensions of each
   * head, rotate_half(x) = (-x₂, x₁); the rest (Phi-3's partial rotation) passes through.
   *
   * @param x (B, h, T, hd)
   * @param cos (B|1, 1, T, rd), as sin
   */
  NDArray rope(NDArray x, NDArray cos, NDArray sin);

  /** silu(gate) · up, the SwiGLU activation of the Llama-style MLP; (…, I) each. */
  NDArray swiglu(NDArray gate, NDArray up);

  /**
   * fp16 loss scaling's unscale (torch's GradScaler.unscale_): every gradient multiplied by {@code
   * invScale} in place; whether all of them are finite afterwards (no inf, no NaN).
   */
  boolean unscaleGrads(List<NDArray> grads, double invScale);

  /**
   * One AdamW update of one parameter group: {@code params}, {@code expAvg} and {@code expAvgSq}
   * (one a parameter) change in place, the gradients do not.
   *
   * @param step the step count after this update (1 for the first), for the bias corrections
   */
  record AdamWStep(
      List<NDArray> params,
      List<NDArray> grads,
      List<NDArray> expAvg,
      List<NDArray> expAvgSq,
      long step,
      double lr,
      double beta1,
      double beta2,
      double eps,
      double weightDecay) {}

  /** {@code s}'s update by torch.optim.AdamW's rule. */
  void adamw(AdamWStep s);

  /**
   * One decode step of a Llama-style decoder (Qwen2/3, Llama, Mistral): see {@code ops.py}'s {@code
   * decode} for the layout of {@code weights} (18 a layer, null where a model has no such tensor)
   * and {@code caches}.
   *
   * @param x (B, 1, C) the embedded token
   * @param caches (B, nKv, capacity, hd) keys and values a layer, filled up to {@code pos}
   * @param cos (B|1, 1, 1, hd), as sin
   * @param bias (B|1, 1, 1, 1, pos + 1) additive attention bias (left-padded rows), or null where
   *     every row sees every key
   */
  record DecodeStep(
      NDArray x,
      List<NDArray> weights,
      List<NDArray> caches,
      NDArray cos,
      NDArray sin,
      NDArray bias,
      long pos,
      NDArray eps,
      NDArray scale,
      int heads,
      int kvHeads,
      int headDim) {}

  /**
   * Every layer of {@code step} in one call, the same ops in the same order as {@code
   * Decoder.layer}, where these kernels can (the torch ones, outside grad mode): the last layer's
   * (B, 1, C); null where they cannot, and the caller runs the layers one by one.
   */
  default NDArray decode(DecodeStep step) {
    return null;
  }

  /** The kernels called {@code name}; refuses an unknown name, listing the known ones. */
  static Kernels named(String name) {
    return switch (name == null ? "" : name.toLowerCase(Locale.ROOT)) {
      case "torch" -> TorchKernels.get();
      case "reference" -> ReferenceKernels.INSTANCE;
      default ->
          throw new IllegalArgumentException(
              "kernels must be \"torch\" or \"reference\", not \"" + name + "\"");
    };
  }

  /** The kernels named by {@link #PROPERTY}, else {@link #ENV}, else {@link #DEFAULT}. */
  static Kernels configured() {
    return named(configuredName());
  }

  /** The name {@link #configured()} resolves. */
  static String configuredName() {
    String name = System.getProperty(PROPERTY);
    if (name == null || name.isBlank()) name = System.getenv(ENV);
    return name == null || name.isBlank() ? DEFAULT : name;
  }
}
