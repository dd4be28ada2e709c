package io.liandan.tracker.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The run of a process without a tracker: every write is dropped, {@link #flush} and {@link
 * #persist} succeed at once (nothing is waiting), no id. Not final: a test extends it to record
 * what the code under test logs.
 */
public class NoRun implements RunHandle {
  @Override
  public OptionalLong id() {
    return OptionalLong.empty();
  }

  @Override
  public void log(String key, long step, double value) {}

  @Override
  public void log(Map<String, ? extends Number> metrics, long step) {}

  @Override
  public void summary(Map<String, ?> values) {}

  @Override
  public void labels(Map<String, String> values) {}

  @Override
  public void state(String state) {}

  @Override
  public void finish() {}

  @Override
  public void fail(String reason) {}

  @Override
  public void samples(String table, long step, List<? extends Map<String, ?>> rows) {}

  @Override
  public void artifact(
      String name, String type, String uri, String sha256, Long size, Map<String, ?> metadata) {}

  @Override
  public boolean flush(Duration timeout) {
    return true;
  }

  @Override
  public boolean persist() {
    return true;
  }

  @Override
  public long acknowledgedPoints() {
    return 0;
  }

  @Override
  public long failedAttempts() {
    return 0;
  }
}
