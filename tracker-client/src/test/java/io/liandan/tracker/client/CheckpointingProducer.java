package io.liandan.tracker.client;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A training process for {@link PersistTest}, killed by the test after its checkpoint: logs steps
 * [0, half), prints {@code HALF}, waits for a line on stdin (the test sends it once that batch is
 * in flight), logs [half, checkpoint), calls {@link RunHandle#persist} (as a stage does right
 * before writing a checkpoint), prints {@code PERSISTED}, logs [checkpoint, end) (steps a resumed
 * run re-logs), prints {@code LOGGED} and waits to be killed. Args: url, token, buffer folder,
 * project, key, checkpoint, end.
 */
public final class CheckpointingProducer {
  public static void main(String[] args) throws Exception {
    TrackerClientConfig config =
        TrackerClientConfig.of(args[0], args[1])
            .withBufferDir(Path.of(args[2]))
            .withBatching(5_000, Duration.ofMillis(100), 200_000)
            .withRequestTimeout(Duration.ofMinutes(5)); // the held batch never times out
    TrackerClient client = TrackerClient.open(config);
    RunHandle run = client.run(RunSpec.of(args[3], args[4]));
    long checkpoint = Long.parseLong(args[5]);
    long end = Long.parseLong(args[6]);
    Points.log(run, 0, checkpoint / 2, 0);
    System.out.println("HALF"); // after the linger it goes out and hangs at the proxy
    System.out.flush();
    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    Points.log(run, checkpoint / 2, checkpoint, 0);
    System.out.println(run.persist() ? "PERSISTED" : "NOT PERSISTED");
    Points.log(run, checkpoint, end, 0);
    System.out.println("LOGGED");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE); // SIGKILLed here: no close(), no shutdown hook
  }
}
