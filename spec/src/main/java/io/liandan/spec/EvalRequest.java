package io.liandan.spec;

import java.util.List;

/**
 * The eval stage: held-out loss and perplexity on the eval split of every {@code tokenized} folder
 * (reward accuracy and margins for dpo folders, against {@code reference}: the model the DPO stage
 * started from), and generations for {@code samplePrompts} labelled {@code label}. Batch size, seed
 * and max_new_tokens come from {@code args}.
 */
public record EvalRequest(
    ModelSource model,
    ModelSource reference,
    List<String> tokenized,
    List<String> samplePrompts,
    String label,
    TrainingArgs args,
    String out,
    String device) {
  public EvalRequest {
    tokenized = tokenized == null ? List.of() : List.copyOf(tokenized);
    samplePrompts = samplePrompts == null ? List.of() : List.copyOf(samplePrompts);
    args = args == null ? TrainingArgs.defaults() : args;
    label = label == null ? "final" : label;
    device = device == null ? "cpu" : device;
  }

  /** This request writing into {@code dir} (a workflow's request gets its folder last). */
  public EvalRequest withOut(String dir) {
    return new EvalRequest(model, reference, tokenized, samplePrompts, label, args, dir, device);
  }
}
