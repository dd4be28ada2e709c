package io.liandan.tracker.metric;

import io.javalin.http.HttpResponseException;
import io.liandan.tracker.web.ApiErrors;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Bounds the points all series reads hold at once, so that a few anonymous clients asking for the
 * largest reads cannot grow the heap without limit (six reads of 400,000 points took the server
 * from 600 MB to 1.28 GB). A read reserves the most points it may return before it starts and gives
 * them back once its response is serialized; when they are not free within the wait it is answered
 * 503 with Retry-After. Fair, so a large read is not starved by a stream of small ones.
 */
public final class ReadGate {
  private final Semaphore points;
  private final int capacity;
  private final Duration wait;

  /** A reservation, returned by {@link #close()}. */
  public interface Permit extends AutoCloseable {
    @Override
    void close();
  }

  public ReadGate(long capacity, Duration wait) {
    this.capacity = (int) Math.min(Integer.MAX_VALUE, capacity);
    this.points = new Semaphore(this.capacity, true);
    this.wait = wait;
  }

  /** Reserves {@code n} points (at most the capacity), waiting up to the gate's wait. */
  public Permit enter(long n) {
    int want = (int) Math.max(1, Math.min(n, capacity));
    boolean got;
    try {
      got = points.tryAcquire(want, wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      got = false;
    }
    if (!got) {
      throw busy();
    }
    return () -> points.release(want);
  }

  /** Points free now (for tests and diagnostics). */
  public int available() {
    return points.availablePermits();
  }

  private HttpResponseException busy() {
    long retry = Math.max(1, wait.toSeconds());
    return ApiErrors.unavailable(
        retry,
        "the server is busy with other large metric reads; retry in "
            + retry
            + " s, or ask for fewer points (maxPoints) or fewer series");
  }
}
