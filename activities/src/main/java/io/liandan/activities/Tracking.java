package io.liandan.activities;

import io.liandan.tracker.client.RunHandle;
import io.liandan.tracker.client.RunSpec;
import io.liandan.tracker.client.TrackerClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * One tracker run per stage: key = pipeline id + "/" + stage, or the key the stage's folder
 * recorded when another pipeline started it there (create-or-resume, so a retried or resumed stage
 * continues its run and re-logged steps overwrite), group = the pipeline (or its sweep), job type =
 * the stage's kind, config = its settings, Temporal's ids recorded. Without a tracker a stage gets
 * {@link RunHandle#none()}, which records nothing: tracking never fails a stage.
 */
public final class Tracking {
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

  public RunHandle open(
      String project,
      String runKey,
      String group,
      String stage,
      String kind,
      Map<String, ?> config,
      String workflowId,
      String activityId) {
    if (client == null) return RunHandle.none();
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
    return h;
  }
}
