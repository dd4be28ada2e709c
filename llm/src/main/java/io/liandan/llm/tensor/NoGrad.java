package io.liandan.llm.tensor;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Turns autograd recording off on this thread for a block (torch.no_grad): inference builds no
 * graph, and in-place updates of parameters are allowed. Grad mode is per thread in torch.
 */
public final class NoGrad implements AutoCloseable {
  private final boolean previous;

  public NoGrad() {
    previous = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
  }

  @Override
  public void close() {
    JniUtils.setGradMode(previous);
  }
}
