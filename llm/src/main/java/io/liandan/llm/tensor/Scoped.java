package io.liandan.llm.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.function.Supplier;

/**
 * Runs a piece of tensor code in its own NDScope and keeps only its result. DJL frees a tensor when
 * its scope closes, so without this every intermediate of a batch — a layer's, the head's (B, T, V)
 * logits — lives until the batch ends; tensors autograd saved for backward stay alive through
 * torch's own references either way.
 */
public final class Scoped {
  private Scoped() {}

  /** {@code work}'s result, moved into the caller's scope; everything else it made is freed. */
  public static NDArray keep(Supplier<NDArray> work) {
    NDArray result;
    try (NDScope scope = new NDScope()) {
      result = work.get();
      NDScope.unregister(result);
    }
    NDScope.register(result);
    return result;
  }
}
