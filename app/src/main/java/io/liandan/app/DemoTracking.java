package io.liandan.app;

import io.liandan.tracker.TrackerConfig;
import io.liandan.tracker.TrackerServer;
import io.liandan.tracker.client.RunHandle;
import io.liandan.tracker.client.RunSpec;
import io.liandan.tracker.client.TrackerClient;
import io.liandan.tracker.client.TrackerClientConfig;
import java.nio.file.Path;
import java.util.Map;

/**
 * The demo's tracker: an embedded tracker server for the length of the demo (PostgreSQL data in the
 * Liandan home, so the runs stay for {@code liandan server}) and a client that logs each stage as a
 * run of one pipeline group. A tracker that cannot start only costs the tracking, never the
 * training: the demo then runs without it.
 */
final class DemoTracking implements AutoCloseable {
  private final TrackerServer server;
  private final TrackerClient client;
  private final String group;

  private DemoTracking(TrackerServer server, TrackerClient client, String group) {
    this.server = server;
    this.client = client;
    this.group = group;
  }

  static DemoTracking start(TrackerConfig config, Path home, String group) {
    TrackerServer server = null;
    try {
      server = TrackerServer.start(config.withPort(0));
      String token = server.tokens().create("liandan demo").token();
      TrackerClient client =
          TrackerClient.open(
              TrackerClientConfig.of(server.url(), token)
                  .withBufferDir(home.resolve("tracker-buffer")));
      return new DemoTracking(server, client, group);
    } catch (Exception e) {
      if (server != null) server.close();
      System.err.println("tracker not started (" + e.getMessage() + "); the demo runs without it");
      return new DemoTracking(null, null, group);
    }
  }

  /** A run for {@code stage}, or null without a tracker. */
  RunHandle run(String stage, Map<String, ?> config) {
    if (client == null) return null;
    return client.run(
        RunSpec.of("demo", group + "/" + stage)
            .withName(group + "-" + stage)
            .withStage(group, stage)
            .withConfig(config));
  }

  boolean on() {
    return client != null;
  }

  @Override
  public void close() {
    if (client != null) client.close(); // flushes every point before the server stops
    if (server != null) server.close();
  }
}
