package io.liandan.tracker.client;

import io.liandan.tracker.client.Wire.Point;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * One run, as training code sees it. Every method returns at once: writes are queued and sent in
 * order by a background thread (see {@link TrackerClient}); none throws for tracker trouble.
 */
public final class RunHandle {
  private final RunSender sender;

  RunHandle(RunSender sender) {
    this.sender = sender;
  }

  /** The run's id, or empty while the tracker has not been reachable to create it. */
  public OptionalLong id() {
    long id = sender.id();
    return id < 0 ? OptionalLong.empty() : OptionalLong.of(id);
  }

  /** Queues one point; a later value for the same (key, step) replaces the earlier one. */
  public void log(String key, long step, double value) {
    Objects.requireNonNull(key, "key");
    sender.log(new Point(key, step, value, System.currentTimeMillis()));
  }

  /** Queues several metrics at one step. */
  public void log(Map<String, ? extends Number> metrics, long step) {
    long now = System.currentTimeMillis();
    for (Map.Entry<String, ? extends Number> e : metrics.entrySet()) {
      Objects.requireNonNull(e.getKey(), "key");
      sender.log(new Point(e.getKey(), step, e.getValue().doubleValue(), now));
    }
  }

  /** Merges into the run's summary (key by key, as wandb's {@code summary.update}). */
  public void summary(Map<String, ?> values) {
    sender.request("PATCH", "", Map.of("summary", values));
  }

  /** Merges {@code values} into the run's labels (MLflow's tags), key by key. */
  public void labels(Map<String, String> values) {
    sender.request("PATCH", "", Map.of("labels", values));
  }

  /** running, finished, failed or crashed. */
  public void state(String state) {
    sender.request("PATCH", "", Map.of("state", state));
  }

  public void finish() {
    state("finished");
  }

  /** Marks the run failed, with the reason in its summary under {@code failure}. */
  public void fail(String reason) {
    Map<String, Object> patch = new LinkedHashMap<>();
    patch.put("state", "failed");
    patch.put("summary", Map.of("failure", reason == null ? "" : reason));
    sender.request("PATCH", "", patch);
  }

  /** Appends rows to the run's sample table {@code table} (e.g. generations at an eval step). */
  public void samples(String table, long step, List<? extends Map<String, ?>> rows) {
    sender.request("POST", "/samples", Map.of("table", table, "step", step, "rows", rows));
  }

  /**
   * Records an artifact the run produced; {@code sha256}, {@code size}, {@code metadata} may be
   * null.
   */
  public void artifact(
      String name, String type, String uri, String sha256, Long size, Map<String, ?> metadata) {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("name", name);
    a.put("type", type);
    a.put("uri", uri);
    if (sha256 != null) {
      a.put("sha256", sha256);
    }
    if (size != null) {
      a.put("size", size);
    }
    if (metadata != null) {
      a.put("metadata", metadata);
    }
    sender.request("POST", "/artifacts", a);
  }

  /** Waits until everything logged so far is acknowledged (or rejected); false on timeout. */
  public boolean flush(Duration timeout) {
    return sender.flush(System.nanoTime() + timeout.toNanos());
  }

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
  public boolean persist() {
    return sender.persist();
  }

  /** Points the server has acknowledged so far. */
  public long acknowledgedPoints() {
    return sender.acknowledgedPoints();
  }

  /** Requests that failed and were retried: network errors, 429, 5xx. */
  public long failedAttempts() {
    return sender.failedAttempts();
  }
}
