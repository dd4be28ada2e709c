package io.liandan.bench;

import static io.liandan.bench.BenchArgs.intArg;

import io.liandan.tracker.TrackerConfig;
import io.liandan.tracker.TrackerServer;
import io.liandan.tracker.client.RunHandle;
import io.liandan.tracker.client.RunSpec;
import io.liandan.tracker.client.TrackerClient;
import io.liandan.tracker.client.TrackerClientConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

/**
 * What a training step that writes a checkpoint pays to make the tracker curve up to it survive a
 * killed worker: {@code RunHandle.flush} (wait for the tracker's acknowledgement) against {@code
 * RunHandle.persist} (fsync the unsent points to the client's buffer), each called the way
 * ProgressReporter.beforeCheckpoint does, after a few steps of logging, against an embedded tracker
 * and PostgreSQL. Args: [checkpoints per mode, default 40] [steps between checkpoints, default 10].
 *
 * <pre>mvn -q -pl bench exec:java -Dbench.main=io.liandan.bench.CheckpointCostBench</pre>
 */
public final class CheckpointCostBench {
  public static void main(String[] args) throws Exception {
    int checkpoints = intArg(args, 0, 40);
    int every = intArg(args, 1, 10);
    Path dir = Files.createTempDirectory("liandan-ckpt-cost");
    try (TrackerServer tracker =
            TrackerServer.start(
                TrackerConfig.defaults().withDataDir(dir.resolve("postgres")).withPort(0));
        TrackerClient client =
            TrackerClient.open(
                TrackerClientConfig.of(tracker.url(), tracker.tokens().create("bench").token())
                    .withBufferDir(dir.resolve("buffer")))) {
      for (int round = 0; round < 2; round++) { // round 0 warms up both paths
        for (String mode : new String[] {"flush", "persist"}) {
          RunHandle run = client.run(RunSpec.of("bench", mode + "-" + round));
          double[] ms = new double[checkpoints];
          long step = 0;
          for (int c = 0; c < checkpoints; c++) {
            for (int i = 0; i < every; i++, step++) {
              run.log(Map.of("train/loss", 1.0 / (step + 1), "train/lr", 1e-4), step);
              Thread.sleep(20); // a (very short) training step
            }
            long t0 = System.nanoTime();
            if (mode.equals("flush")) {
              run.flush(Duration.ofSeconds(30));
            } else {
              run.persist();
            }
            ms[c] = (System.nanoTime() - t0) / 1e6;
          }
          run.flush(Duration.ofSeconds(30));
          if (round == 1) {
            Arrays.sort(ms);
            System.out.printf(
                "%-8s %d checkpoints: median %.2f ms, p90 %.2f ms, max %.2f ms, mean %.2f ms%n",
                mode,
                checkpoints,
                ms[checkpoints / 2],
                ms[checkpoints * 9 / 10],
                ms[checkpoints - 1],
                Arrays.stream(ms).average().orElse(0));
          }
        }
      }
    }
  }
}
