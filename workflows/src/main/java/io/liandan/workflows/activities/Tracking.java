package io.liandan.workflows.activities;

import io.liandan.tracker.client.RunHandle;
import io.liandan.tracker.client.RunSpec;
import io.liandan.tracker.client.TrackerClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One tracker run per stage: key = pipeline id + "/" + stage, or the key the stage's folder
 * recorded when another pipeline started it there (create-or-resume, so a retried or resumed stage
 * continues its run and re-logged steps overwrite), group = the pipeline (or its sweep), job type =
 * the stage's kind, config = its settings, Temporal's ids recorded. Without a tracker every method
 * does nothing: tracking never fails a stage.
 */
public final class Tracking {
  /** The stage's run, or a no-op one (not final: tests record what a stage sends). */
  public static class Run {
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

  /** The run label that links a stage's run to its workflow's page in the Temporal Web UI. */
  public static final String TEMPORAL_UI_LABEL = "temporal_ui";

  private final TrackerClient client;
  private final String temporalUi;

  /** {@code client} may be null: no tracking. */
  public Tracking(TrackerClient client) {
    this(client, null);
  }

  /**
   * {@code temporalUi}: the Temporal Web UI's base URL (null: none known); each run is labelled
   * with its workflow's page there, which the tracker UI links to.
   */
  public Tracking(TrackerClient client, String temporalUi) {
    this.client = client;
    this.temporalUi = temporalUi;
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
    RunHandle h =
        client.run(
            RunSpec.of(project, runKey)
                .withName(runKey.replace('/', '-'))
                .withStage(group, kind)
                .withTags(List.of("pipeline:" + workflowId, "stage:" + stage))
                .withConfig(config)
                .withTemporal(workflowId, activityId));
    if (temporalUi != null)
      h.labels(
          Map.of(
              TEMPORAL_UI_LABEL,
              temporalUi
                  + "/namespaces/default/workflows/"
                  + URLEncoder.encode(workflowId, StandardCharsets.UTF_8).replace("+", "%20")));
    return new Run(h);
  }
}
