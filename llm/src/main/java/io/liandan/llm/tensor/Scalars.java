package io.liandan.llm.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Scalars for ops whose backward keeps the scalar operand (mul, div, pow, maximum). DJL turns a
 * Java number into a tensor that borrows a direct buffer and frees its wrapper right after the op,
 * while autograd still holds the tensor: a garbage collection between forward and backward then
 * frees the memory and the backward reads garbage (wrong or NaN gradients with a correct loss).
 * {@code full} allocates the scalar in torch's own memory, which autograd keeps alive.
 */
public final class Scalars {
  private Scalars() {}

  /** A float32 scalar in torch's memory, attached to {@code m} (and to an open NDScope). */
  public static NDArray of(NDManager m, double value) {
    return m.full(new Shape(), (float) value, DataType.FLOAT32);
  }
}
