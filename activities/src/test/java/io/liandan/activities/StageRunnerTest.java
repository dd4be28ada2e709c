package io.liandan.activities;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.contracts.ArtifactStore;
import io.liandan.contracts.FailureTypes;
import io.liandan.contracts.StageRef;
import io.liandan.contracts.StageResult;
import io.temporal.activity.ActivityInterface;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every stage activity does around its work, on its own (the end-to-end tests reach it only
 * through whole pipelines): a finished output is returned cached under the asking stage's name, bad
 * input fails once and for good while other failures stay Temporal's to retry, an unfinished folder
 * is kept for a training stage's resume and cleared for the rest, and two workers asking for one
 * stage at once run it once.
 */
class StageRunnerTest {
  @TempDir Path home;
  TestActivityEnvironment env;
  ArtifactStore store;
  final AtomicInteger runs = new AtomicInteger();
  volatile StageRunner.Work work;

  /** One activity that runs {@link #work} through a StageRunner, as the real activities do. */
  @ActivityInterface
  public interface Probe {
    StageResult stage(StageRef r, boolean keepPartial);
  }

  @BeforeEach
  void setUp() {
    env = TestActivityEnvironment.newInstance();
    store = new ArtifactStore(home);
    StageRunner runner = new StageRunner(store, new Tracking(null), null);
    env.registerActivitiesImplementations(
        (Probe)
            (r, keepPartial) ->
                runner.run(
                    r,
                    Map.of(),
                    keepPartial,
                    (dir, run, ctx) -> {
                      runs.incrementAndGet();
                      return work.run(dir, run, ctx);
                    }));
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  Probe probe() {
    return env.newActivityStub(Probe.class, OneAttempt.options(Duration.ofSeconds(5)));
  }

  /**
   * Runs stage sft under {@code key} with work that throws {@code thrown}: the activity fails, and
   * its cause, an application failure, is returned.
   */
  ApplicationFailure failure(RuntimeException thrown, String key) {
    work =
        (dir, run, ctx) -> {
          throw thrown;
        };
    ActivityFailure f =
        assertThrows(ActivityFailure.class, () -> probe().stage(request("sft", key), false));
    return assertInstanceOf(ApplicationFailure.class, f.getCause());
  }

  static StageRef request(String name, String key) {
    return new StageRef("p1", "p1", "test", name, "sft", key, 0);
  }

  @Test
  void aFinishedStageIsReturnedCachedUnderTheAskingName() {
    work = (dir, run, ctx) -> StageRunner.Output.of(Map.of("loss", 1.5));
    StageResult first = probe().stage(request("sft", "k1"), false);
    assertFalse(first.cached());
    assertEquals(Map.of("loss", 1.5), first.metrics());
    assertEquals(store.dir("sft", "k1").toString(), first.out(), "the stage folder by default");

    StageResult again = probe().stage(request("sft-again", "k1"), false);
    assertEquals(1, runs.get(), "the work ran once");
    assertTrue(again.cached());
    assertEquals("sft-again", again.name());
    assertEquals(first.metrics(), again.metrics());
  }

  @Test
  void badInputFailsForGoodWithItsMessageAndLeavesNoMarker() {
    ApplicationFailure cause =
        failure(
            new IllegalArgumentException("data/chat.jsonl:3: messages[1].role: unknown 'bot'"),
            "k2");
    assertEquals(FailureTypes.BAD_INPUT, cause.getType());
    assertTrue(cause.isNonRetryable());
    assertTrue(
        cause.getOriginalMessage().contains("chat.jsonl:3: messages[1].role"), cause.getMessage());
    assertNull(store.cached(store.dir("sft", "k2")), "no marker for a failed stage");
  }

  @Test
  void otherFailuresStayRetryable() {
    ApplicationFailure cause = failure(new IllegalStateException("disk full"), "k3");
    assertEquals(IllegalStateException.class.getName(), cause.getType());
    assertFalse(cause.isNonRetryable());
  }

  @Test
  void anUnfinishedFolderIsKeptForATrainingStageAndClearedOtherwise() throws Exception {
    List<Boolean> sawCheckpoint = new ArrayList<>();
    work =
        (dir, run, ctx) -> {
          sawCheckpoint.add(Files.exists(dir.resolve("checkpoint-4")));
          return StageRunner.Output.of(Map.of());
        };
    for (String key : List.of("keep", "clear")) {
      Path dir = store.dir("sft", key);
      Files.createDirectories(dir.resolve("checkpoint-4"));
      probe().stage(request("sft", key), key.equals("keep"));
    }
    assertEquals(List.of(true, false), sawCheckpoint);
  }

  @Test
  void twoWorkersAskingForOneStageRunItOnce() throws Exception {
    CountDownLatch started = new CountDownLatch(1), release = new CountDownLatch(1);
    work =
        (dir, run, ctx) -> {
          started.countDown();
          try {
            assertTrue(release.await(30, TimeUnit.SECONDS));
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
          return StageRunner.Output.of(Map.of("loss", 2.0));
        };
    CompletableFuture<StageResult> a =
        CompletableFuture.supplyAsync(() -> probe().stage(request("sft", "k4"), true));
    assertTrue(started.await(30, TimeUnit.SECONDS));
    CompletableFuture<StageResult> b =
        CompletableFuture.supplyAsync(() -> probe().stage(request("sft", "k4"), true));
    Thread.sleep(1500); // b waits on the folder's lock (heartbeating) while a works
    assertFalse(b.isDone(), "the second waits for the first");
    release.countDown();
    StageResult ra = a.get(30, TimeUnit.SECONDS), rb = b.get(30, TimeUnit.SECONDS);
    assertEquals(1, runs.get(), "the work ran once");
    assertFalse(ra.cached());
    assertTrue(rb.cached(), "the second found the first's output");
    assertEquals(ra.metrics(), rb.metrics());
  }
}
