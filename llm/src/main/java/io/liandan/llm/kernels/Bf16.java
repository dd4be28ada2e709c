package io.liandan.llm.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Frozen weights kept in bfloat16: half the memory and half the bytes a bandwidth-bound matmul
 * reads, with the CPU's bf16 GEMM (avx512_bf16) or CUDA's tensor cores. Every bf16 tensor is made
 * and used inside the kernel module's script: DJL 0.35.1 reports bf16 as UNKNOWN and aborts the JVM
 * where it is asked for BFLOAT16 ({@code toType}, {@code zeros}), so nothing here names it to DJL.
 * Activations stay float32 between the calls; only the matmul's inputs are rounded to bf16, and it
 * accumulates in float32.
 */
public final class Bf16 {
  private Bf16() {}

  /** Whether {@code a} is a bf16 tensor (made by {@link Widening#toBf16} or this class). */
  public static boolean is(NDArray a) {
    return a.getDataType() == DataType.UNKNOWN && TorchKernels.get().elementSize(a) == 2;
  }

  /**
   * x·wᵀ: (…, in) float32 and bf16 (out, in) → (…, out) float32, differentiable in x when autograd
   * records (LoRA's gradient flows back through a frozen bf16 base). A float32 w (bf16 mixed
   * precision over float32 masters) is rounded to bf16 inside the call, differentiably: its
   * gradient comes back float32.
   */
  public static NDArray linear(NDArray x, NDArray w) {
    return TorchKernels.get().linearBf16(x, w);
  }

  /** Rows {@code ids} (B, T) int64 of the bf16 table w (V, C) as float32 (B, T, C). */
  public static NDArray embedding(NDArray w, NDArray ids) {
    return TorchKernels.get().embeddingBf16(w, ids);
  }

  /**
   * A bf16 copy of {@code a} (any float dtype, rounded to nearest even) owned by {@code a}'s
   * manager, usable in autograd's saved tensors (made outside InferenceMode).
   */
  public static NDArray of(NDArray a) {
    TorchKernels k = TorchKernels.get();
    NDArray flat = k.emptyBf16(a.getShape().size(), a.getManager());
    NDArray out = flat.reshape(a.getShape());
    flat.close();
    k.copyInto(out, a);
    return out;
  }

  /** A float32 copy of a bf16 tensor (merging, saving, comparing). */
  public static NDArray toFloat32(NDArray a) {
    return TorchKernels.get().toFloat32(a);
  }
}
