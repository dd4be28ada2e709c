package io.liandan.workflows;

import io.liandan.spec.TrainingArgs;
import java.util.List;

/**
 * One stage of a pipeline as the spec names it: {@code stage} is pt, sft, dpo, kto, eval or merge;
 * training stages read {@code datasets} (names from the spec's datasets), tokenized with {@code
 * eval_ratio} of their samples held out; eval labels its generations with {@code label}; merge
 * saves in {@code dtype}. The format and tokenize steps of a training stage are implied.
 */
public record StageSpec(
    String stage,
    List<String> datasets,
    TrainingArgs args,
    double evalRatio,
    boolean sampleBefore,
    String label,
    String dtype) {
  /** The order stages run in; a spec lists any subset of them, in this order. */
  public static final List<String> ORDER = List.of("pt", "sft", "dpo", "kto", "eval", "merge");

  public static final List<String> TRAINING = List.of("pt", "sft", "dpo", "kto");

  public StageSpec {
    datasets = datasets == null ? List.of() : List.copyOf(datasets);
  }

  public boolean training() {
    return TRAINING.contains(stage);
  }
}
