package io.liandan.tracker.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults while a run logs: the server restarted, PostgreSQL restarted, a client process that ended
 * with batches still on disk. In each, every point logged arrives exactly once.
 */
class FaultTest {
  @TempDir Path buffer;
  @TempDir Path pgData;

  @Test
  void serverRestartMidLoggingLosesNoPoints() throws Exception {
    try (TestTracker tracker = TestTracker.start()) {
      Outage restart =
          () -> {
            tracker.stop();
            Points.sleep(1_500);
            tracker.restart();
          };
      logThrough(tracker, tracker.clientConfig(buffer), "server-restart", 3_000, restart);
    }
  }

  @Test
  void postgresRestartMidLoggingLosesNoPoints() throws Exception {
    try (TestDatabase db = TestDatabase.own(pgData.resolve("pg"));
        TestTracker tracker = TestTracker.on(db.jdbcUrl())) {
      // While PostgreSQL is down the server answers 500 (a connection broke) or waits for a
      // connection; a 1 s request timeout turns the wait into a failure too, an ambiguous one
      // (the server may still store that batch), so re-sending must be safe.
      TrackerClientConfig config =
          tracker.clientConfig(buffer).withRequestTimeout(Duration.ofSeconds(1));
      Outage restart =
          () -> {
            db.stop();
            Points.sleep(2_500);
            db.start();
          };
      logThrough(tracker, config, "postgres-restart", 4_000, restart);
    }
  }

  /** What takes the tracker's side down and brings it back while a run logs. */
  private interface Outage {
    void run() throws Exception;
  }

  /**
   * Run {@code key} logs 10,000 points over {@code millis} from its own thread while {@code outage}
   * happens 0.7 s in; the client notices it, and every point arrives exactly once.
   */
  private static void logThrough(
      TestTracker tracker, TrackerClientConfig config, String key, int millis, Outage outage)
      throws Exception {
    long id;
    try (TrackerClient client = TrackerClient.open(config)) {
      RunHandle run = client.run(RunSpec.of("faults", key));
      id = run.id().getAsLong();
      Thread logger = new Thread(() -> Points.log(run, 0, 10_000, millis));
      logger.start();
      Points.sleep(700);
      outage.run();
      logger.join();
      assertTrue(run.failedAttempts() > 0, "the outage was noticed");
    }
    Points.assertArrived(tracker, id, 0, 10_000);
  }

  @Test
  void aProcessThatExitsWithoutCloseLosesNoPoints() throws Exception {
    try (TestTracker tracker = TestTracker.down()) {
      Process child =
          ChildJvm.of(
                  ExitingProducer.class,
                  tracker.url(),
                  tracker.token(),
                  buffer.toString(),
                  "faults",
                  "exits",
                  "3000")
              .inheritIO()
              .start();
      assertTrue(child.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
      assertEquals(0, child.exitValue());

      tracker.restart();
      long id;
      try (TrackerClient next = TrackerClient.open(tracker.clientConfig(buffer))) {
        id = next.run(RunSpec.of("faults", "exits")).id().getAsLong();
      }
      Points.assertArrived(tracker, id, 0, 3_000);
    }
  }

  @Test
  void aNewClientSendsWhatADeadOneLeftOnDisk() throws Exception {
    try (TestTracker tracker = TestTracker.down()) {
      TrackerClientConfig config =
          tracker.clientConfig(buffer).withCloseTimeout(Duration.ofMillis(500));
      RunSpec spec = RunSpec.of("faults", "wf-9/pretrain");
      try (TrackerClient a = TrackerClient.open(config)) {
        RunHandle run = a.run(spec);
        assertFalse(run.id().isPresent(), "the tracker is down");
        Points.log(run, 0, 5_000, 0);
        run.summary(java.util.Map.of("note", "from the first process"));
      }
      long files = BatchFiles.count(buffer);
      assertTrue(files > 0, "client A left its batches on disk");

      tracker.restart();
      long id;
      try (TrackerClient b = TrackerClient.open(config.withCloseTimeout(Duration.ofSeconds(20)))) {
        RunHandle resumed = b.run(spec); // same key: the run A's buffer creates
        id = resumed.id().getAsLong();
        Points.log(resumed, 5_000, 6_000, 0);
      }
      Points.assertArrived(tracker, id, 0, 6_000);
      assertEquals(
          "from the first process",
          tracker.get("/api/v1/runs/" + id).get("summary").get("note").asText());
      try (Stream<Path> s = Files.list(buffer)) {
        assertEquals(0, s.count(), "the buffer is empty once sent");
      }
    }
  }
}
