package io.liandan.llm.amp;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * A dtype cast that autograd sees. DJL's {@code toType} runs torch's {@code to} under a
 * NoGradGuard, so its result has no grad_fn: an fp16 copy of a weight would never send its gradient
 * back to the float32 master, and an fp16 copy of an activation would cut the graph. torch's {@code
 * cumprod(x, dim, dtype)} casts its input to {@code dtype} first and differentiates through the
 * cast (the gradient comes back in x's dtype); over a new axis of size 1 it is the identity.
 */
public final class Cast {
  private Cast() {}

  /** {@code x} as {@code type}, differentiable; x itself when it already has that type. */
  public static NDArray to(NDArray x, DataType type) {
    if (x.getDataType() == type) return x;
    int last = x.getShape().dimension(); // the new axis of size 1
    return x.expandDims(last).cumProd(last, type).squeeze(last);
  }
}
