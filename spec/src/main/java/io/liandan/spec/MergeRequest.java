package io.liandan.spec;

/**
 * The merge stage: {@code model}'s adapters merged into its base and saved in {@code out} as {@code
 * merged/} (a Hugging Face checkpoint in {@code dtype}, with the tokenizer files and a generation
 * config) and {@code adapters/} (each adapter in PEFT's format, in merge order).
 */
public record MergeRequest(ModelSource model, String out, String dtype, String device) {
  public MergeRequest {
    dtype = dtype == null ? "float32" : dtype;
    device = device == null ? "cpu" : device;
  }

  /** This request writing into {@code dir} (a workflow's request gets its folder last). */
  public MergeRequest withOut(String dir) {
    return new MergeRequest(model, dir, dtype, device);
  }
}
