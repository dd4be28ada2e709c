package io.liandan.tracker.client;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How a {@link TrackerClient} talks to the tracker and buffers: one typed object, read once.
 *
 * @param baseUrl the tracker, e.g. {@code http://127.0.0.1:7878}
 * @param token an API token ({@code ldn_…}); writes need one
 * @param bufferDir where batches wait on disk while the tracker is unreachable (one folder per
 *     client process, adopted by the next process if this one dies)
 * @param maxBatchPoints points per {@code POST /runs/{id}/metrics} (the server takes ≤ 10,000)
 * @param linger how long a partial batch waits for more points before it is sent
 * @param maxMemoryPoints points a run holds in memory; past it, queued batches spill to disk
 * @param closeTimeout how long {@code close()} waits for queues and buffers to drain
 * @param createTimeout how long {@code run()} tries to create the run before returning a handle
 *     that creates it later (from the buffer)
 * @param initialBackoff first retry delay; doubled per failure up to {@code maxBackoff}, jittered
 * @param requestTimeout one HTTP request
 * @param heartbeatInterval an idle run sends {@code PATCH {}} this often (writes are heartbeats)
 */
public record TrackerClientConfig(
    URI baseUrl,
    String token,
    Path bufferDir,
    int maxBatchPoints,
    Duration linger,
    int maxMemoryPoints,
    Duration closeTimeout,
    Duration createTimeout,
    Duration initialBackoff,
    Duration maxBackoff,
    Duration requestTimeout,
    Duration heartbeatInterval) {

  public TrackerClientConfig {
    Objects.requireNonNull(baseUrl, "baseUrl");
    Objects.requireNonNull(bufferDir, "bufferDir");
    if (maxBatchPoints < 1 || maxBatchPoints > 10_000) {
      throw new IllegalArgumentException("maxBatchPoints must be 1..10000: " + maxBatchPoints);
    }
    if (maxMemoryPoints < maxBatchPoints) {
      throw new IllegalArgumentException("maxMemoryPoints must be ≥ maxBatchPoints");
    }
  }

  /** ~/.liandan/tracker-buffer */
  public static Path defaultBufferDir() {
    return Path.of(System.getProperty("user.home"), ".liandan", "tracker-buffer");
  }

  public static TrackerClientConfig of(String baseUrl, String token) {
    String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    return new TrackerClientConfig(
        URI.create(base),
        token,
        defaultBufferDir(),
        5_000,
        Duration.ofSeconds(1),
        200_000,
        Duration.ofSeconds(30),
        Duration.ofSeconds(10),
        Duration.ofMillis(100),
        Duration.ofSeconds(5),
        Duration.ofSeconds(30),
        Duration.ofSeconds(60));
  }

  public TrackerClientConfig withBufferDir(Path dir) {
    return with(d -> d.bufferDir = dir);
  }

  public TrackerClientConfig withBatching(
      int maxBatchPoints, Duration linger, int maxMemoryPoints) {
    return with(
        d -> {
          d.maxBatchPoints = maxBatchPoints;
          d.linger = linger;
          d.maxMemoryPoints = maxMemoryPoints;
        });
  }

  public TrackerClientConfig withCloseTimeout(Duration timeout) {
    return with(d -> d.closeTimeout = timeout);
  }

  public TrackerClientConfig withCreateTimeout(Duration timeout) {
    return with(d -> d.createTimeout = timeout);
  }

  public TrackerClientConfig withBackoff(Duration initial, Duration max) {
    return with(
        d -> {
          d.initialBackoff = initial;
          d.maxBackoff = max;
        });
  }

  public TrackerClientConfig withRequestTimeout(Duration timeout) {
    return with(d -> d.requestTimeout = timeout);
  }

  /** A copy with what {@code change} sets (a wither names only what it changes). */
  private TrackerClientConfig with(Consumer<Draft> change) {
    Draft d = new Draft(this);
    change.accept(d);
    return d.build();
  }

  /** The record's components, mutable for the moment a wither edits them. */
  private static final class Draft {
    URI baseUrl;
    String token;
    Path bufferDir;
    int maxBatchPoints;
    Duration linger;
    int maxMemoryPoints;
    Duration closeTimeout;
    Duration createTimeout;
    Duration initialBackoff;
    Duration maxBackoff;
    Duration requestTimeout;
    Duration heartbeatInterval;

    Draft(TrackerClientConfig c) {
      baseUrl = c.baseUrl;
      token = c.token;
      bufferDir = c.bufferDir;
      maxBatchPoints = c.maxBatchPoints;
      linger = c.linger;
      maxMemoryPoints = c.maxMemoryPoints;
      closeTimeout = c.closeTimeout;
      createTimeout = c.createTimeout;
      initialBackoff = c.initialBackoff;
      maxBackoff = c.maxBackoff;
      requestTimeout = c.requestTimeout;
      heartbeatInterval = c.heartbeatInterval;
    }

    TrackerClientConfig build() {
      return new TrackerClientConfig(
          baseUrl,
          token,
          bufferDir,
          maxBatchPoints,
          linger,
          maxMemoryPoints,
          closeTimeout,
          createTimeout,
          initialBackoff,
          maxBackoff,
          requestTimeout,
          heartbeatInterval);
    }
  }
}
