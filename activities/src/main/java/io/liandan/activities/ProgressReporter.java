package io.liandan.activities;

import io.liandan.contracts.StageProgress;
import io.liandan.llm.stage.StageListener;
import io.liandan.tracker.client.RunHandle;
import io.temporal.activity.ActivityExecutionContext;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A training stage's listener: each optimizer step becomes a Temporal heartbeat (step, total, last
 * checkpoint; a cancellation thrown from it stops the stage after its last checkpoint), metrics and
 * samples go to the stage's tracker run (made durable before each checkpoint is written, so the
 * curve up to it survives a killed worker), and every {@code interval} (and at each new checkpoint)
 * a progress signal with the latest metrics and the ETA goes to the workflow.
 */
final class ProgressReporter implements StageListener {
  /** The heartbeat's details. */
  record Beat(long step, long total, String lastCheckpoint) {}

  /**
   * Where the progress signals go: to {@code send} (null: nowhere), as stage {@code stage}, at most
   * every {@code intervalSeconds} between checkpoints.
   */
  record Signals(Consumer<StageProgress> send, String stage, double intervalSeconds) {}

  private final ActivityExecutionContext ctx;
  private final RunHandle run;
  private final Signals signals;
  private final long intervalNanos;
  private final int attempt;
  private long firstStep = -1, startNanos, lastSignal;
  private String lastCheckpoint;
  private volatile Beat last;
  private long reporting;
  private Map<String, Double> metrics = Map.of();

  ProgressReporter(ActivityExecutionContext ctx, RunHandle run, Signals signals) {
    this.ctx = ctx;
    this.run = run;
    this.signals = signals;
    this.intervalNanos = (long) (signals.intervalSeconds() * 1e9);
    this.attempt = ctx == null ? 1 : ctx.getInfo().getAttempt();
  }

  @Override
  public void progress(long step, long total, String checkpoint) {
    long now = System.nanoTime();
    boolean first = firstStep < 0;
    if (first) {
      firstStep = step;
      startNanos = now;
    }
    boolean newCheckpoint = checkpoint != null && !checkpoint.equals(lastCheckpoint);
    lastCheckpoint = checkpoint;
    last = new Beat(step, total, checkpoint);
    if (ctx != null) ctx.heartbeat(last);
    // the first step signals whatever nanoTime's origin (lastSignal starts at 0, not at -interval)
    Consumer<StageProgress> send = signals.send();
    if (send != null
        && (first || newCheckpoint || step >= total || now - lastSignal >= intervalNanos)) {
      lastSignal = now;
      double perStep = step > firstStep ? (now - startNanos) / 1e9 / (step - firstStep) : 0;
      send.accept(
          new StageProgress(
              signals.stage(),
              step,
              total,
              checkpoint,
              metrics,
              perStep * Math.max(0, total - step),
              Math.max(0, firstStep - 1),
              attempt));
    }
    reporting += System.nanoTime() - now;
  }

  /**
   * A resumed attempt re-logs only the steps after its checkpoint: the ones before must be safe
   * before the checkpoint exists, or a worker killed in between would lose them. Safe means on disk
   * in the tracker client's fsync'd buffer, not acknowledged by the tracker (a round trip of 30–100
   * ms per checkpoint on the training thread): the worker that resumes the stage opens a client on
   * the same home's buffer folder, or creates the stage's run again on one already open there, and
   * either sends a killed worker's buffer before the resumed steps. If the disk refuses, it waits
   * for the tracker instead.
   */
  @Override
  public void beforeCheckpoint(long step) {
    long now = System.nanoTime();
    if (!run.persist()) run.flush(StageRunner.TRACKER_WAIT);
    reporting += System.nanoTime() - now;
  }

  /** Seconds spent in here so far: the stage's time that went to reporting, not training. */
  double seconds() {
    return reporting / 1e9;
  }

  /** The latest heartbeat details, for the background heartbeat between steps. */
  Beat last() {
    return last;
  }

  @Override
  public void metrics(long step, Map<String, Double> values) {
    run.log(values, step);
    metrics = Map.copyOf(values);
  }

  @Override
  public void samples(String table, long step, List<Map<String, Object>> rows) {
    run.samples(table, step, rows);
  }

  @Override
  public void summary(Map<String, Object> values) {
    run.summary(values);
  }
}
