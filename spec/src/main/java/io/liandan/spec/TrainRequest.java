package io.liandan.spec;

import java.util.List;

/**
 * One training stage: {@code stage} is pt, sft, dpo or kto; {@code tokenized} the tokenize stage's
 * folder (manifest.json, train/ and eval/ shards of the matching kind); {@code out} the stage's own
 * folder, where checkpoints, the trained weights or adapter and result.json go. {@code
 * samplePrompts} are generated from before (when {@code sampleBefore}, labelled "base") and after
 * training; {@code device} is cpu, cuda or cuda:N.
 */
public record TrainRequest(
    String stage,
    ModelSource model,
    String tokenized,
    TrainingArgs args,
    List<String> samplePrompts,
    boolean sampleBefore,
    String out,
    String device) {
  public static final List<String> STAGES = List.of("pt", "sft", "dpo", "kto");

  public TrainRequest {
    if (!STAGES.contains(stage))
      throw new IllegalArgumentException("stage '" + stage + "' is not one of " + STAGES);
    samplePrompts = samplePrompts == null ? List.of() : List.copyOf(samplePrompts);
    device = device == null ? "cpu" : device;
  }

  /** This request writing into {@code dir} (a workflow's request gets its folder last). */
  public TrainRequest withOut(String dir) {
    return new TrainRequest(
        stage, model, tokenized, args, samplePrompts, sampleBefore, dir, device);
  }
}
