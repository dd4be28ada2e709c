// The one exception type of the Hub client, with a reason a caller (a Temporal activity) can act
// on.
package io.liandan.activities.hub;

/**
 * A download that cannot go on. The message is meant for the user as is: it names the repo, the
 * revision and the file, and says what to do. {@link #retryable()} tells a caller whether trying
 * again later can help (a network failure) or not (a gated repo, a missing file, bad input).
 */
public final class HubException extends RuntimeException {
  public enum Reason {
    /** 401/403: gated, private or missing repo; HF_TOKEN missing or without access. */
    ACCESS_DENIED(false),
    /** 404: repo, revision or file does not exist, or no file matches the patterns. */
    NOT_FOUND(false),
    /** Offline (HF_HUB_OFFLINE or the Hub unreachable) and the snapshot is not in the cache. */
    NOT_CACHED(false),
    /** The downloaded bytes do not hash to the Hub's ETag; the partial file was deleted. */
    CHECKSUM_MISMATCH(true),
    /** Connection errors, timeouts, 429 and 5xx that outlived the retries. */
    NETWORK(true),
    /** Any other unexpected answer from the server (a malformed listing, a redirect loop). */
    PROTOCOL(false),
    /** The local cache or the local source cannot be read or written. */
    LOCAL_IO(false);

    private final boolean retryable;

    Reason(boolean retryable) {
      this.retryable = retryable;
    }
  }

  private final Reason reason;

  public HubException(Reason reason, String message) {
    this(reason, message, null);
  }

  public HubException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  /** Whether a later attempt may succeed; bad input and denied access never will. */
  public boolean retryable() {
    return reason.retryable;
  }
}
