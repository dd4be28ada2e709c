package io.liandan.activities;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.contracts.ArtifactStore;
import io.liandan.contracts.StageProgress;
import io.liandan.contracts.StageRef;
import io.liandan.contracts.StageResult;
import io.liandan.spec.ModelSource;
import io.liandan.tracker.client.RunHandle;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.client.ActivityCompletionException;
import io.temporal.client.WorkflowClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every stage activity does around its work: find a finished output (cached: return it, its
 * tracker run linked), else lock the folder, open the stage's tracker run (the one the folder
 * records, when an earlier attempt of any pipeline started it there), do the work, write the
 * marker, finish the run; a cancellation marks the run failed ("cancelled") and keeps the folder;
 * bad input becomes a non-retryable failure, anything else is retried by Temporal.
 *
 * @param store the stage cache: folders, markers, locks
 * @param tracking where stages' tracker runs go
 * @param client the Temporal client progress signals go through ({@code null}: none sent)
 */
public record StageRunner(ArtifactStore store, Tracking tracking, WorkflowClient client) {
  private static final Logger log = LoggerFactory.getLogger(StageRunner.class);
  static final ObjectMapper JSON = new ObjectMapper();

  /** The work itself: the stage folder and its run in, what it produced out. */
  public interface Work {
    Output run(Path dir, RunHandle run, ActivityExecutionContext ctx);
  }

  /**
   * What a stage's work produced: its main output ({@code null}: the stage folder), the model the
   * next stage starts from, steps, the step it resumed from, final metrics, and the seconds it
   * spent reporting progress (heartbeats, signals, the tracker buffer written at checkpoints).
   */
  public record Output(
      String out,
      ModelSource next,
      long steps,
      long resumedFromStep,
      Map<String, Double> metrics,
      double listenerSeconds) {
    public static Output of(Map<String, Double> metrics) {
      return new Output(null, null, 0, 0, metrics, 0);
    }
  }

  /**
   * How long a stage waits (bounded: tracking never fails a stage) for the tracker to acknowledge
   * its run's writes: when it finishes, so its curve is complete when the workflow moves on, and
   * before a checkpoint when the disk buffer refused them.
   */
  static final Duration TRACKER_WAIT = Duration.ofSeconds(30);

  /** The same for a failing stage: it is failing anyway, only its state should get through. */
  static final Duration FAIL_WAIT = Duration.ofSeconds(10);

  /** {@link #run(StageRef, Map, boolean, Work)} of a stage that starts over in a cleared folder. */
  public StageResult run(StageRef r, Map<String, ?> config, Work work) {
    return run(r, config, false, work);
  }

  /**
   * Runs {@code work} for {@code r} unless its output exists. {@code keepPartial}: a training
   * stage's folder holds checkpoints a retry resumes from, so it is never cleared.
   */
  public StageResult run(StageRef r, Map<String, ?> config, boolean keepPartial, Work work) {
    ActivityExecutionContext ctx = Activity.getExecutionContext();
    Path dir = store.dir(r.kind(), r.key());
    StageResult done = store.cached(dir);
    if (done != null) {
      log.info("{}: cached in {}", r.runKey(), dir);
      return renamed(done.asCached(), r.name());
    }
    try (AutoCloseable lock = store.lock(dir, () -> ctx.heartbeat(null))) {
      done = store.cached(dir); // another worker may have finished it while we waited
      if (done != null) return renamed(done.asCached(), r.name());
      if (!keepPartial) store.clear(dir);
      Files.createDirectories(dir);
      String activityId = ctx.getInfo().getActivityId();
      RunHandle run =
          tracking.open(
              r.project(),
              store.runKey(dir, r.runKey()),
              r.group(),
              r.name(),
              r.kind(),
              config,
              r.pipelineId(),
              activityId);
      long t0 = System.nanoTime();
      log.info("{}: attempt {} in {}", r.runKey(), ctx.getInfo().getAttempt(), dir);
      try {
        Output o = work.run(dir, run, ctx);
        StageResult res =
            new StageResult(
                r.name(),
                r.kind(),
                r.key(),
                o.out() == null ? dir.toString() : o.out(),
                false,
                run.id().isPresent() ? run.id().getAsLong() : null,
                o.next(),
                o.steps(),
                o.resumedFromStep(),
                o.metrics(),
                (System.nanoTime() - t0) / 1e9,
                o.listenerSeconds());
        store.commit(dir, res);
        run.finish();
        run.flush(TRACKER_WAIT);
        log.info("{}: done in {} ms", r.runKey(), (System.nanoTime() - t0) / 1_000_000);
        return res;
      } catch (ActivityCompletionException e) {
        fail(run, "cancelled (" + e.getClass().getSimpleName() + "); checkpoints kept in " + dir);
        throw e;
      } catch (RuntimeException e) {
        fail(run, String.valueOf(e.getMessage()));
        throw BadInput.classify(e);
      }
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(dir + ": " + e.getMessage(), e);
    }
  }

  /** Marks the run failed, so the runs table does not show a dead stage as running. */
  private static void fail(RunHandle run, String reason) {
    run.fail(reason);
    run.flush(FAIL_WAIT);
  }

  /** The listener of a stage with progress hooks: heartbeats, tracker run, progress signals. */
  ProgressReporter reporter(StageRef r, RunHandle run, ActivityExecutionContext ctx) {
    return new ProgressReporter(
        ctx,
        run,
        new ProgressReporter.Signals(
            signaller(r.pipelineId()), r.name(), r.progressIntervalSeconds()));
  }

  /**
   * Sends progress to the stage's workflow (best effort: a lost signal only delays the display). A
   * signal is a gRPC round trip; it goes out on a background thread so the training step never
   * waits for it, and a newer progress replaces one not yet sent. The workflow ignores progress
   * that arrives after the stage finished.
   */
  public Consumer<StageProgress> signaller(String workflowId) {
    if (client == null) return null;
    AtomicReference<StageProgress> pending = new AtomicReference<>();
    Runnable send =
        () -> {
          StageProgress p = pending.getAndSet(null);
          if (p == null) return;
          try {
            client
                .newUntypedWorkflowStub(workflowId, Optional.empty(), Optional.empty())
                .signal("stageProgress", p);
          } catch (RuntimeException e) {
            log.debug("progress signal to {} not sent: {}", workflowId, e.toString());
          }
        };
    return p -> {
      if (pending.getAndSet(p) == null) SIGNALS.execute(send);
    };
  }

  /** One sender for every stage of this worker: signals to a workflow leave in order. */
  private static final ExecutorService SIGNALS =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "progress-signals");
            t.setDaemon(true);
            return t;
          });

  /** Runs {@code body} while a background thread heartbeats (for stages without progress hooks). */
  public static <T> T heartbeating(ActivityExecutionContext ctx, Supplier<T> body) {
    return heartbeating(ctx, () -> null, body);
  }

  /**
   * Runs {@code body} while a background thread heartbeats {@code details} (the latest progress) a
   * few times per heartbeat timeout: a stage's quiet phases — loading, evaluating, saving — must
   * not look like a dead worker, while a killed worker stops heartbeating at once.
   */
  public static <T> T heartbeating(
      ActivityExecutionContext ctx, Supplier<Object> details, Supplier<T> body) {
    Duration timeout = ctx.getInfo().getHeartbeatTimeout();
    long every =
        Math.max(200, (timeout.isZero() ? Duration.ofSeconds(30) : timeout).toMillis() / 4);
    ScheduledExecutorService beat =
        Executors.newSingleThreadScheduledExecutor(
            t -> {
              Thread th = new Thread(t, "heartbeat-" + ctx.getInfo().getActivityId());
              th.setDaemon(true);
              return th;
            });
    beat.scheduleAtFixedRate(
        () -> {
          try {
            ctx.heartbeat(details.get());
          } catch (RuntimeException e) {
            log.debug("heartbeat: {}", e.toString());
          }
        },
        0,
        every,
        TimeUnit.MILLISECONDS);
    try {
      return body.get();
    } finally {
      beat.shutdownNow();
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object value) {
    return JSON.convertValue(value, Map.class);
  }

  private static StageResult renamed(StageResult r, String name) {
    return new StageResult(
        name,
        r.kind(),
        r.key(),
        r.out(),
        true,
        r.trackerRunId(),
        r.next(),
        r.steps(),
        r.resumedFromStep(),
        r.metrics(),
        r.seconds(),
        r.listenerSeconds());
  }
}
