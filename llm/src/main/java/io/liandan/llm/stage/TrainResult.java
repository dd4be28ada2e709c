package io.liandan.llm.stage;

import io.liandan.spec.ModelSource;
import java.util.Map;

/**
 * What a training stage produced, also written as {@code result.json} (last, atomically) in its
 * folder: {@code next} is the model the following stage starts from (the saved checkpoint for full
 * fine-tuning; the same source plus this stage's adapter for LoRA); {@code resumedFromStep} is 0
 * for a fresh run; {@code metrics} holds the final train and eval values.
 */
public record TrainResult(
    String stage,
    String out,
    ModelSource next,
    long steps,
    long resumedFromStep,
    Map<String, Double> metrics) {
  public static final String FILE = "result.json";
}
