package io.liandan.activities;

import io.liandan.activities.hub.HubException;
import io.liandan.contracts.FailureTypes;
import io.liandan.llm.data.io.DatasetException;
import io.liandan.llm.data.template.ChatTemplateException;
import io.liandan.llm.safetensors.CheckpointException;
import io.temporal.failure.ApplicationFailure;

/**
 * The one place that decides what a retry cannot fix: bad input — a bad spec or argument, a bad
 * dataset row or file, a chat template that cannot render, a bad checkpoint, a gated or missing Hub
 * repo. Such a stage fails on its first attempt, non-retryably, with its message (naming file, line
 * and field); anything else (I/O, a dead worker, out of memory) is Temporal's to retry.
 */
public final class BadInput {

  private BadInput() {}

  /** Whether {@code e}, or anything it wraps, is bad input. */
  public static boolean is(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof IllegalArgumentException
          || t instanceof DatasetException
          || t instanceof ChatTemplateException
          || t instanceof CheckpointException
          || t instanceof UnsupportedOperationException
          || (t instanceof HubException h && !h.retryable())) return true;
    }
    return false;
  }

  /** Bad input as a non-retryable failure; anything else unchanged. */
  public static RuntimeException classify(RuntimeException e) {
    if (e instanceof ApplicationFailure || !is(e)) return e;
    return ApplicationFailure.newNonRetryableFailureWithCause(
        String.valueOf(e.getMessage()), FailureTypes.BAD_INPUT, e);
  }
}
