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

  private final int patience;

  PipelineWatch(Pipelines pipelines, PrintWriter out) {
    this(pipelines, out, PATIENCE_SECONDS);
  }

  /** {@code patience}: seconds without an answer before the watch gives up. */
  PipelineWatch(Pipelines pipelines, PrintWriter out, int patience) {
    this.pipelines = pipelines;
    this.out = out;
    this.patience = patience;
  }

  /** How long the watch waits for a lost server (a real one heals after an up restart). */
  static final int PATIENCE_SECONDS = 600;

  /**
   * Polls until the pipeline is no longer running; returns its last status. Says when it loses the
   * server and when it is back; a sweep's children's stages are shown under their ids.
   */
  PipelineStatus follow(String id) throws InterruptedException {
    PipelineStatus s = null;
    for (int misses = 0; ; ) {
      try {
        s = pipelines.status(id);
        if (misses > 0) out.println("(Temporal answers again after " + misses + " s)");
        misses = 0;
      } catch (RuntimeException e) {
        if (misses == 0)
          out.println(
              "(lost Temporal or the worker: "
                  + firstLine(e)
                  + "; retrying every second for up to "
                  + patience
                  + " s — liandan up on the same home carries the pipeline on)");
        if (++misses > patience) throw e;
      }
      if (s != null && misses == 0) {
        for (StageStatus st : s.stages()) print("", st);
        for (String c : s.children()) {
          printOnce("child " + c, "  child " + c);
          String childId = c.contains(":") ? c.substring(0, c.indexOf(':')) : c;
          try {
            for (StageStatus st : pipelines.status(childId).stages()) print(childId + " ", st);
          } catch (RuntimeException notYet) {
            // a child not started yet, or its first workflow task still pending
          }
        }
        if (!s.state().equals("running") && !s.state().equals("starting")) return s;
      }
      Thread.sleep(1000);
    }
  }

  private static String firstLine(RuntimeException e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return String.valueOf(t.getMessage()).lines().findFirst().orElse(t.getClass().getSimpleName());
  }

  private void print(String prefix, StageStatus s) {
    printOnce(prefix + s.name(), "  ".repeat(prefix.isEmpty() ? 0 : 2) + prefix + line(s));
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
