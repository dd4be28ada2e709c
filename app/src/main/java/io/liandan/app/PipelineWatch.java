package io.liandan.app;

import io.liandan.workflows.PipelineStatus;
import io.liandan.workflows.StageStatus;
import io.liandan.workflows.runtime.Pipelines;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;

/**
 * Progress in the terminal: one line per stage whenever its state or step changes — a bar,
 * step/total, loss, ETA — by querying the workflow once a second.
 */
final class PipelineWatch {
  private final Pipelines pipelines;
  private final PrintWriter out;
  private final Map<String, String> shown = new HashMap<>();

  PipelineWatch(Pipelines pipelines, PrintWriter out) {
    this.pipelines = pipelines;
    this.out = out;
  }

  /** Polls until the pipeline is no longer running; returns its last status. */
  PipelineStatus follow(String id) throws InterruptedException {
    PipelineStatus s = null;
    for (int misses = 0; ; ) {
      try {
        s = pipelines.status(id);
        misses = 0;
      } catch (RuntimeException e) {
        if (++misses > 30) throw e; // the worker is restarting: keep trying for half a minute
      }
      if (s != null) {
        for (StageStatus st : s.stages()) print(st);
        for (String c : s.children()) printOnce("child " + c, "  child " + c);
        if (!s.state().equals("running") && !s.state().equals("starting")) return s;
      }
      Thread.sleep(1000);
    }
  }

  private void print(StageStatus s) {
    String line = line(s);
    printOnce(s.name(), line);
  }

  private void printOnce(String key, String line) {
    if (!line.equals(shown.put(key, line))) out.println(line);
  }

  static String line(StageStatus s) {
    StringBuilder b = new StringBuilder(String.format("%-13s %-9s", s.name(), s.state()));
    if (s.total() > 0) {
      int filled = (int) (20 * Math.min(1.0, (double) s.step() / s.total()));
      b.append(" [").append("#".repeat(filled)).append(".".repeat(20 - filled)).append("] ");
      b.append(s.step()).append('/').append(s.total());
    }
    Double loss = s.metrics() == null ? null : s.metrics().get("train/loss");
    if (loss != null) b.append(String.format("  loss %.4f", loss));
    if (s.state().equals("running") && s.etaSeconds() > 0)
      b.append(
          String.format("  ETA %d:%02d", (long) s.etaSeconds() / 60, (long) s.etaSeconds() % 60));
    if (s.resumedFromStep() > 0) b.append("  resumed from step ").append(s.resumedFromStep());
    if (s.trackerRunId() != null) b.append("  run #").append(s.trackerRunId());
    if (s.error() != null) b.append("  ").append(s.error().lines().findFirst().orElse(""));
    return b.toString();
  }
}
