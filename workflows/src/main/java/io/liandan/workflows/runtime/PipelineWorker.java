package io.liandan.workflows.runtime;

import io.liandan.activities.hub.HubDownloader;
import io.liandan.activities.hub.HubEnv;
import io.liandan.tracker.client.TrackerClient;
import io.liandan.workflows.PipelineWorkflowImpl;
import io.liandan.workflows.activities.ArtifactStore;
import io.liandan.workflows.activities.DataActivitiesImpl;
import io.liandan.workflows.activities.StageRunner;
import io.liandan.workflows.activities.Tracking;
import io.liandan.workflows.activities.TrainActivitiesImpl;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A worker: on each of its task queues, the pipeline workflow and every stage activity (a queue
 * gets the stages the spec routes to it). Stages run one at a time per worker by default — a
 * training stage uses every core or the whole GPU; several workers may serve one queue.
 */
public final class PipelineWorker implements AutoCloseable {
  /**
   * Where and how: the Liandan home (artifact store), queues, tracker (null: none), stages at once.
   */
  public record Config(Path home, List<String> queues, TrackerClient tracker, int parallelStages) {
    public Config {
      queues = queues == null || queues.isEmpty() ? List.of("liandan") : List.copyOf(queues);
      parallelStages = Math.max(1, parallelStages);
    }
  }

  private final WorkerFactory factory;

  private PipelineWorker(WorkerFactory factory) {
    this.factory = factory;
  }

  public static PipelineWorker start(WorkflowClient client, Config config) {
    StageRunner runner =
        new StageRunner(new ArtifactStore(config.home()), new Tracking(config.tracker()), client);
    HubDownloader hub = HubDownloader.create(HubEnv.fromSystem());
    WorkerFactory factory = WorkerFactory.newInstance(client);
    boolean testServer = Pipelines.isTestServer(client);
    for (String queue : config.queues()) {
      WorkerOptions.Builder o =
          WorkerOptions.newBuilder().setMaxConcurrentActivityExecutionSize(config.parallelStages());
      if (testServer) {
        // made for temporal-test-server only: it never moves a workflow off a dead worker's sticky
        // queue, and it sees heartbeat details (step, checkpoint) only as often as they are sent;
        // a real server falls back after 5 s and keeps Temporal's throttle (0.8 x the timeout)
        o.setStickyQueueScheduleToStartTimeout(Duration.ZERO)
            .setMaxHeartbeatThrottleInterval(Duration.ofSeconds(1))
            .setDefaultHeartbeatThrottleInterval(Duration.ofSeconds(1));
      }
      Worker w = factory.newWorker(queue, o.build());
      w.registerWorkflowImplementationTypes(PipelineWorkflowImpl.class);
      w.registerActivitiesImplementations(
          new DataActivitiesImpl(runner, hub), new TrainActivitiesImpl(runner));
    }
    factory.start();
    return new PipelineWorker(factory);
  }

  @Override
  public void close() {
    factory.shutdown();
    factory.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
  }
}
