package io.liandan.activities;

import io.liandan.activities.hub.HubDownloader;
import io.liandan.activities.hub.HubEnv;
import io.liandan.contracts.ArtifactStore;
import io.liandan.tracker.client.TrackerClient;
import io.temporal.client.WorkflowClient;
import java.nio.file.Path;
import java.util.List;

/** Every stage activity a worker hosts, sharing one artifact store, tracker and Hub client. */
public final class StageActivities {
  private StageActivities() {}

  /**
   * {@code home}: the Liandan home (the artifact store); {@code tracker}: null for none; {@code
   * temporalUi}: the Temporal Web UI's base URL that tracker runs link to (null: none); {@code
   * client} sends the stages' progress signals to their workflows.
   */
  public static List<Object> create(
      WorkflowClient client, Path home, TrackerClient tracker, String temporalUi) {
    StageRunner runner =
        new StageRunner(new ArtifactStore(home), new Tracking(tracker, temporalUi), client);
    HubDownloader hub = HubDownloader.create(HubEnv.fromSystem());
    return List.of(new DataActivitiesImpl(runner, hub), new TrainActivitiesImpl(runner));
  }
}
