package io.liandan.tracker.client;

import io.liandan.tracker.client.Wire.Point;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/** A run the tracker receives: every write queued on its {@link RunSender}. */
final class TrackedRun implements RunHandle {
  private final RunSender sender;

  TrackedRun(RunSender sender) {
    this.sender = sender;
  }

  @Override
  public OptionalLong id() {
    long id = sender.id();
    return id < 0 ? OptionalLong.empty() : OptionalLong.of(id);
  }

  @Override
  public void log(String key, long step, double value) {
    Objects.requireNonNull(key, "key");
    sender.log(new Point(key, step, value, System.currentTimeMillis()));
  }

  @Override
  public void log(Map<String, ? extends Number> metrics, long step) {
    long now = System.currentTimeMillis();
    for (Map.Entry<String, ? extends Number> e : metrics.entrySet()) {
      Objects.requireNonNull(e.getKey(), "key");
      sender.log(new Point(e.getKey(), step, e.getValue().doubleValue(), now));
    }
  }

  @Override
  public void summary(Map<String, ?> values) {
    sender.request("PATCH", "", Map.of("summary", values));
  }

  @Override
  public void labels(Map<String, String> values) {
    sender.request("PATCH", "", Map.of("labels", values));
  }

  @Override
  public void state(String state) {
    sender.request("PATCH", "", Map.of("state", state));
  }

  @Override
  public void finish() {
    state("finished");
  }

  @Override
  public void fail(String reason) {
    Map<String, Object> patch = new LinkedHashMap<>();
    patch.put("state", "failed");
    patch.put("summary", Map.of("failure", reason == null ? "" : reason));
    sender.request("PATCH", "", patch);
  }

  @Override
  public void samples(String table, long step, List<? extends Map<String, ?>> rows) {
    sender.request("POST", "/samples", Map.of("table", table, "step", step, "rows", rows));
  }

  @Override
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

  @Override
  public boolean flush(Duration timeout) {
    return sender.flush(System.nanoTime() + timeout.toNanos());
  }

  @Override
  public boolean persist() {
    return sender.persist();
  }

  @Override
  public long acknowledgedPoints() {
    return sender.acknowledgedPoints();
  }

  @Override
  public long failedAttempts() {
    return sender.failedAttempts();
  }
}
