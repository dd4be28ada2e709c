package io.liandan.llm.stage;

/** Held-out metrics and sample generations for one model. */
public final class EvalStage {
  public EvalResult run(EvalRequest request, StageListener listener) {
    throw new UnsupportedOperationException("landing with issue 4");
  }
}
