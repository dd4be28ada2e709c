package io.liandan.llm.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** Where a tensor's memory lives: owned by torch, on a manager's device. */
public final class Tensors {
  private Tensors() {}

  /**
   * A tensor in torch-owned memory with the values of {@code view}. On CPU, {@code create(buffer)}
   * wraps the Java buffer (for F32, the read-only file mapping) without copying, and parameters are
   * updated in place; DJL's duplicate() would copy through a Java buffer twice, while a multiply by
   * one makes torch allocate and fill the result natively.
   */
  public static NDArray ownedCopy(NDArray view) {
    return view.mul(1f);
  }

  /** {@code a} on {@code target}'s device, owned by {@code target}; a copy closes the original. */
  public static NDArray move(NDArray a, NDManager target) {
    if (a == null) return null;
    String name = a.getName();
    NDArray b = a.toDevice(target.getDevice(), false); // a itself when already there
    if (b != a) a.close();
    b.attach(target);
    if (name != null) b.setName(name);
    return b;
  }
}
