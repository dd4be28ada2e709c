package io.liandan.activities;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import java.time.Duration;

/** Activity options for tests that call an activity once: a minute to run, no retry. */
final class OneAttempt {
  private OneAttempt() {}

  static ActivityOptions options(Duration heartbeatTimeout) {
    return ActivityOptions.newBuilder()
        .setStartToCloseTimeout(Duration.ofMinutes(1))
        .setHeartbeatTimeout(heartbeatTimeout)
        .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
        .build();
  }
}
