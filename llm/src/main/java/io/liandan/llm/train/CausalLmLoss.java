package io.liandan.llm.train;

import ai.djl.ndarray.NDArray;

/** transformers' causal-LM loss: mean next-token cross-entropy over labels that are not -100. */
public final class CausalLmLoss {
  private CausalLmLoss() {}

  /**
   * @param logits (B, T, V)
   * @param labels (B, T) int64, -100 where no loss is taken (padding, prompt tokens)
   * @return scalar loss
   */
  public static NDArray mean(NDArray logits, NDArray labels) {
    return TokenLogps.of(logits, labels).meanLoss();
  }
}
