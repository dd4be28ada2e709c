package io.liandan.tracker.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RunHandle#persist} against SIGKILL: a child JVM logs to a tracker that does not answer its
 * metrics requests (a slow tracker, taken to the limit), persists at its "checkpoint" and is
 * killed. The held batch then reaches the tracker anyway (stored, never acknowledged to the dead
 * sender), and a client in another process — opened after the kill, or already open, as a worker
 * that picks up the resumed stage — sends the dead one's buffer before the resumed steps. Every
 * point arrives, exactly once, with its value; the points logged after the checkpoint, which were
 * only in memory, are the ones a resumed run logs again.
 */
class PersistTest {
  static final long CHECKPOINT = 1_000;
  static final long END = 1_300;
  static final long RESUMED_END = 2_000;
  @TempDir Path buffer;

  @Test
  void aClientOpenedAfterTheKillSendsWhatPersistWrote() throws Exception {
    try (TestTracker tracker = TestTracker.start();
        StallingProxy proxy = new StallingProxy(tracker.url())) {
      RunSpec spec = RunSpec.of("persist", "wf-1/sft");
      killAfterPersist(tracker, proxy, spec);
      long id;
      try (TrackerClient next = TrackerClient.open(tracker.clientConfig(buffer))) {
        RunHandle resumed = next.run(spec);
        id = resumed.id().getAsLong();
        Points.log(resumed, CHECKPOINT, RESUMED_END, 0);
      }
      Points.assertArrived(tracker, id, 0, RESUMED_END);
      assertBufferEmpty();
    }
  }

  @Test
  void aClientAlreadyOpenAdoptsTheBufferWhenItResumesTheRun() throws Exception {
    try (TestTracker tracker = TestTracker.start();
        StallingProxy proxy = new StallingProxy(tracker.url());
        TrackerClient worker = TrackerClient.open(tracker.clientConfig(buffer))) {
      RunSpec spec = RunSpec.of("persist", "wf-2/sft");
      killAfterPersist(tracker, proxy, spec);
      RunHandle resumed = worker.run(spec); // the retried stage lands on this worker
      long id = resumed.id().getAsLong();
      Points.log(resumed, CHECKPOINT, RESUMED_END, 0);
      assertTrue(resumed.flush(java.time.Duration.ofSeconds(30)));
      worker.close();
      Points.assertArrived(tracker, id, 0, RESUMED_END);
      assertBufferEmpty();
    }
  }

  /**
   * Runs {@link CheckpointingProducer} through {@code proxy} until it has persisted and logged past
   * its checkpoint, SIGKILLs it, then lets its held batch reach the tracker.
   */
  private void killAfterPersist(TestTracker tracker, StallingProxy proxy, RunSpec spec)
      throws Exception {
    Process child =
        ChildJvm.of(
                CheckpointingProducer.class,
                proxy.url(),
                tracker.token(),
                buffer.toString(),
                spec.project(),
                spec.key(),
                Long.toString(CHECKPOINT),
                Long.toString(END))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("HALF", out.readLine());
      waitFor(() -> proxy.held() == 1, "the first half in flight at the proxy");
      child.getOutputStream().write('\n');
      child.getOutputStream().flush();
      assertEquals("PERSISTED", out.readLine());
      assertEquals("LOGGED", out.readLine());
      assertEquals(1, proxy.held(), "the first half is still in flight, unanswered");
      assertTrue(batchFiles() >= 2, "the in-flight batch and the second half are on disk");
    } finally {
      child.destroyForcibly(); // SIGKILL: no close(), no shutdown hook
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    }
    proxy.release();
    waitFor(() -> proxy.stored() == 1, "the tracker to store the batch its dead sender waited for");
  }

  private static void waitFor(BooleanSupplier condition, String what) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < until, "waited a minute for " + what);
      Points.sleep(20);
    }
  }

  private long batchFiles() throws Exception {
    return BatchFiles.count(buffer);
  }

  private void assertBufferEmpty() throws Exception {
    try (Stream<Path> s = Files.list(buffer)) {
      assertEquals(0, s.count(), "the buffer is empty once sent");
    }
  }
}
