package io.liandan.workflows.activities;

import io.liandan.tracker.client.RunHandle;
import io.liandan.tracker.client.RunSpec;
import io.liandan.tracker.client.TrackerClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One tracker run per stage: key = pipeline id + "/" + stage (create-or-resume, so a retried or
 * resumed stage continues its run and re-logged steps overwrite), group = the pipeline (or its
 * sweep), job type = the stage's kind, config = its settings, Temporal's ids recorded. Without a
 * tracker every method does nothing: tracking never fails a stage.
 */
public final class Tracking {
  /** The stage's run, or a no-op one. */
  public static final class Run {
    private final RunHandle handle;

    Run(RunHandle handle) {
      this.handle = handle;
    }

    public Long id() {
      return handle == null || handle.id().isEmpty() ? null : handle.id().getAsLong();
    }

    public void log(Map<String, ? extends Number> values, long step) {
      if (handle != null) handle.log(values, step);
    }

    public void samples(String table, long step, List<? extends Map<String, ?>> rows) {
      if (handle != null) handle.samples(table, step, rows);
    }

    public void summary(Map<String, ?> values) {
      if (handle != null) handle.summary(values);
    }

    /** Waits (bounded) until everything logged so far is acknowledged by the tracker. */
    public void flush() {
      if (handle != null) handle.flush(Duration.ofSeconds(30));
    }

    /**
     * Makes everything logged so far survive this worker being killed, without waiting for the
     * tracker: the unacknowledged points go to the client's fsync'd disk buffer, which the next
     * client on the same buffer folder sends (see {@link RunHandle#persist}); if the disk refuses,
     * waits for the tracker instead ({@link #flush}).
     */
    public void persist() {
      if (handle != null && !handle.persist()) handle.flush(Duration.ofSeconds(30));
    }

    public void finish() {
      if (handle != null) {
        handle.finish();
        handle.flush(Duration.ofSeconds(30));
      }
    }

    public void fail(String reason) {
      if (handle != null) {
        handle.fail(reason);
        handle.flush(Duration.ofSeconds(10));
      }
    }
  }

  private final TrackerClient client;

  /** {@code client} may be null: no tracking. */
  public Tracking(TrackerClient client) {
    this.client = client;
  }

  public Run open(
      String project,
      String runKey,
      String group,
      String stage,
      String kind,
      Map<String, ?> config,
      String workflowId,
      String activityId) {
    if (client == null) return new Run(null);
    return new Run(
        client.run(
            RunSpec.of(project, runKey)
                .withName(runKey.replace('/', '-'))
                .withStage(group, kind)
                .withTags(List.of("pipeline:" + workflowId, "stage:" + stage))
                .withConfig(config)
                .withTemporal(workflowId, activityId)));
  }
}
