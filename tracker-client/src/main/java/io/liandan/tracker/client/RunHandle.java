package io.liandan.tracker.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * One run, as training code sees it. Every method returns at once: writes are queued and sent in
 * order by a background thread (see {@link TrackerClient}); none throws for tracker trouble. {@link
 * #none()} is the run of a process without a tracker, so code that logs never asks whether there is
 * one.
 */
public interface RunHandle {
  /** A run that records nothing, for a process with no tracker configured. */
  static RunHandle none() {
    return new NoRun();
  }

  /** The run's id, or empty while the tracker has not been reachable to create it. */
  OptionalLong id();

  /** Queues one point; a later value for the same (key, step) replaces the earlier one. */
  void log(String key, long step, double value);

  /** Queues several metrics at one step. */
  void log(Map<String, ? extends Number> metrics, long step);

  /** Merges into the run's summary (key by key, as wandb's {@code summary.update}). */
  void summary(Map<String, ?> values);

  /** Merges {@code values} into the run's labels (MLflow's tags), key by key. */
  void labels(Map<String, String> values);

  /** running, finished, failed or crashed. */
  void state(String state);

  void finish();

  /** Marks the run failed, with the reason in its summary under {@code failure}. */
  void fail(String reason);

  /** Appends rows to the run's sample table {@code table} (e.g. generations at an eval step). */
  void samples(String table, long step, List<? extends Map<String, ?>> rows);

  /**
   * Records an artifact the run produced; {@code sha256}, {@code size}, {@code metadata} may be
   * null.
   */
  void artifact(
      String name, String type, String uri, String sha256, Long size, Map<String, ?> metadata);

  /** Waits until everything logged so far is acknowledged (or rejected); false on timeout. */
  boolean flush(Duration timeout);

  /**
   * Makes everything logged so far survive this process being killed, without waiting for the
   * tracker: what it has not acknowledged yet is written to the buffer folder (fsync'd, one file
   * per batch, as when the tracker is down) and sent from there as usual. If the process dies, the
   * next client opened on the same buffer folder, or the next {@link TrackerClient#run} of one
   * already open there, sends those files before anything newer of the same run; re-sending a batch
   * the server did store is harmless, metric points being idempotent on (run, key, step). Costs a
   * file write and fsync per unsent batch (~1 ms), where {@link #flush} waits for a round trip.
   * False if the disk refused: then only {@link #flush} makes the points safe.
   */
  boolean persist();

  /** Points the server has acknowledged so far. */
  long acknowledgedPoints();

  /** Requests that failed and were retried: network errors, 429, 5xx. */
  long failedAttempts();
}
