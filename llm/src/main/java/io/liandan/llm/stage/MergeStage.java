package io.liandan.llm.stage;

/** Merges a source's adapters into its base and saves the result. */
public final class MergeStage {
  public MergeResult run(MergeRequest request) {
    throw new UnsupportedOperationException("landing with issue 4");
  }
}
