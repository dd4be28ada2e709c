package io.liandan.llm.stage;

/** A PT, SFT or DPO stage from its request to its result; resumes from its last checkpoint. */
public final class TrainStage {
  public TrainResult run(TrainRequest request, StageListener listener) {
    throw new UnsupportedOperationException("landing with issue 4");
  }
}
