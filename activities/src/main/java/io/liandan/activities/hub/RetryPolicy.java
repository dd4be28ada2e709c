// How often and how patiently the Hub client retries network failures.
package io.liandan.activities.hub;

import java.io.InterruptedIOException;
import java.time.Duration;

/**
 * Exponential backoff: attempt n waits {@code initialBackoff * 2^(n-1)}, capped at {@code
 * maxBackoff}. A file download that made progress starts counting again (as huggingface_hub's
 * http_get does), so a long download over a flaky line is not limited to maxAttempts cuts.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
  public RetryPolicy {
    if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts < 1: " + maxAttempts);
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0)
      throw new IllegalArgumentException("need 0 <= initialBackoff <= maxBackoff");
  }

  public static RetryPolicy defaults() {
    return new RetryPolicy(5, Duration.ofSeconds(1), Duration.ofSeconds(30));
  }

  /** The wait after the given number of consecutive failures (1 = first failure). */
  public Duration backoff(int failures) {
    Duration d = initialBackoff;
    for (int i = 1; i < failures && d.compareTo(maxBackoff) < 0; i++) d = d.multipliedBy(2);
    return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
  }

  /**
   * Sleeps the backoff; an interrupt (a cancelled activity) ends it with InterruptedIOException.
   */
  void sleep(int failures) throws InterruptedIOException {
    try {
      Thread.sleep(backoff(failures).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to retry");
    }
  }
}
