package io.liandan.tracker.client;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A training process that logs and then exits without closing its client (System.exit, as a stage
 * that dies of an error would), for {@link FaultTest}: args url, token, buffer folder, project,
 * key, steps.
 */
public final class ExitingProducer {
  public static void main(String[] args) {
    TrackerClientConfig config =
        TrackerClientConfig.of(args[0], args[1])
            .withBufferDir(Path.of(args[2]))
            .withCreateTimeout(Duration.ofMillis(200))
            .withBackoff(Duration.ofMillis(50), Duration.ofMillis(200));
    TrackerClient client = TrackerClient.open(config);
    RunHandle run = client.run(RunSpec.of(args[3], args[4]));
    Points.log(run, 0, Long.parseLong(args[5]), 0);
    System.exit(0); // no close(): the shutdown hook is all that writes the queue to disk
  }
}
