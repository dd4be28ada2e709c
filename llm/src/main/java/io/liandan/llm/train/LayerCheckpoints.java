package io.liandan.llm.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.tensor.Scoped;
import java.util.ArrayList;
import java.util.List;

/**
 * Activation checkpointing per decoder layer, as transformers' {@code gradient_checkpointing}: the
 * forward keeps each layer's input (B, T, C) and no graph; {@link #backward} re-runs one layer at a
 * time with autograd on and pushes the gradient through it. Activation memory falls from every
 * layer's intermediates (attention scores, the MLP's (B, T, I) tensors) to one layer's plus L × (B,
 * T, C); the price is one more forward of the decoder layers.
 *
 * <p>Use inside a gradient collector: {@code forward}, run the head from {@link #hidden} and
 * backpropagate its loss (in as many pieces as wanted: gradients add up on the hidden state), then
 * {@link #backward}. Dropout draws are reseeded per layer from {@code seed} in both passes, so the
 * re-run layer sees the masks its first run drew, as torch.utils.checkpoint's RNG replay does.
 */
public final class LayerCheckpoints {
  private final Replay replay;
  private final NDArray embedded; // (B, T, C) with its graph to the embedding when that trains
  private final List<NDArray> inputs; // layer i's input, detached; inputs[L] = the final hidden
  private int mismatches = -1; // tests: recomputed outputs that differed from the first pass

  private LayerCheckpoints(Replay replay, NDArray embedded, List<NDArray> inputs) {
    this.replay = replay;
    this.embedded = embedded;
    this.inputs = inputs;
  }

  /**
   * How a layer runs, the same in the forward and in its re-run: the positions, and dropout
   * reseeded per layer from {@code seed} when training.
   */
  private record Replay(Decoder model, Decoder.Positions at, long seed, boolean training) {
    NDArray layer(int i, NDArray x) {
      if (training) JniUtils.setSeed(seed * 1_000_003L + i);
      return model.layer(i, x, at, null, training);
    }
  }

  /**
   * Runs the decoder without recording its layers.
   *
   * @param ids (B, T) int64
   * @param mask (B, T) 1 = real token, 0 = padding; null = all real
   */
  public static LayerCheckpoints forward(
      Decoder model, NDArray ids, NDArray mask, long seed, boolean training) {
    int layers = model.config().numHiddenLayers();
    NDArray embedded = model.embed(ids);
    List<NDArray> inputs = new ArrayList<>(layers + 1);
    Replay replay;
    try (NoGrad ng = new NoGrad()) {
      replay = new Replay(model, model.positions(ids, mask, null, 0), seed, training);
      NDArray x = embedded.stopGradient();
      inputs.add(x);
      for (int i = 0; i < layers; i++) {
        int n = i;
        NDArray in = x; // no graph: all but the output is freed at once
        x = Scoped.keep(() -> replay.layer(n, in));
        inputs.add(x); // the caller's scope frees it if backward never runs
      }
    }
    inputs.get(layers).setRequiresGradient(true);
    return new LayerCheckpoints(replay, embedded, inputs);
  }

  /** (B, T, C) the last layer's output, a leaf that gathers the head's gradient. */
  public NDArray hidden() {
    return inputs.get(inputs.size() - 1);
  }

  /**
   * Backpropagates the gradient the head left on {@link #hidden} through every layer, last first,
   * and into the embedding when it trains; parameter gradients accumulate as in one backward.
   */
  public void backward() {
    NDArray grad = hidden().getGradient(); // (B, T, C)
    if (grad == null) throw new IllegalStateException("backward the head's loss first");
    backward(grad);
  }

  /** {@link #backward()} from {@code grad} (B, T, C), the loss's gradient at the final hidden. */
  public void backward(NDArray grad) {
    int layers = inputs.size() - 1;
    for (int i = layers - 1; i >= 0; i--) {
      NDArray x = inputs.get(i), next;
      try (NDScope scope = new NDScope()) {
        x.setRequiresGradient(true);
        NDArray y = replay.layer(i, x);
        if (mismatches >= 0 && !y.allClose(inputs.get(i + 1), 0, 0, false)) mismatches++;
        // the vector-Jacobian product straight from torch: y's graph with grad as its gradient
        JniUtils.backward((PtNDArray) y, (PtNDArray) grad, false, false);
        next = x.getGradient();
        NDScope.unregister(next);
      }
      grad.close();
      inputs.get(i + 1).close();
      grad = next;
    }
    // asked of the weight: this engine reports requires_grad false for the embedding's output
    if (JniUtils.requiresGrad(
        (PtNDArray) replay.model().weights().get("model.embed_tokens.weight")))
      JniUtils.backward((PtNDArray) embedded, (PtNDArray) grad, false, false);
    grad.close();
  }

  /** Tests: from now on, count recomputed layer outputs that differ from the first pass. */
  void checkRecompute() {
    mismatches = 0;
  }

  int mismatches() {
    return mismatches;
  }
}
