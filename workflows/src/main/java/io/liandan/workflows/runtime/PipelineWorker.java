package io.liandan.workflows.runtime;

import io.liandan.activities.hub.HubDownloader;
import io.liandan.activities.hub.HubEnv;
import io.liandan.tracker.client.TrackerClient;
import io.liandan.workflows.PipelineSpec;
import io.liandan.workflows.PipelineWorkflowImpl;
import io.liandan.workflows.StageKeys;
import io.liandan.workflows.StageSpec;
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
   * Where and how: the Liandan home (artifact store), queues, tracker (null: none), stages at once,
   * and the Temporal Web UI's base URL that tracker runs link to (null: none).
   */
  public record Config(
      Path home,
      List<String> queues,
      TrackerClient tracker,
      int parallelStages,
      String temporalUi) {
    public Config {
      queues = queues == null || queues.isEmpty() ? List.of("liandan") : List.copyOf(queues);
      parallelStages = Math.max(1, parallelStages);
    }

    public Config(Path home, List<String> queues, TrackerClient tracker, int parallelStages) {
      this(home, queues, tracker, parallelStages, null);
    }
  }

  private final WorkerFactory factory;

  private PipelineWorker(WorkerFactory factory) {
    this.factory = factory;
  }

  public static PipelineWorker start(WorkflowClient client, Config config) {
    StageRunner runner =
        new StageRunner(
            new ArtifactStore(config.home()),
            new Tracking(config.tracker(), config.temporalUi()),
            client);
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
    warmUp();
    factory.start();
    return new PipelineWorker(factory);
  }

  /**
   * Loads and initialises what the workflow's first task uses — Jackson, the spec's parser, the
   * hyperparameters, stage keys — before any task arrives: done on the workflow thread of a freshly
   * started worker (on a busy 2-core machine, right after a restart) it once took past Temporal's 1
   * s deadlock detector (TMPRL1101), failing that task once.
   */
  static void warmUp() {
    String json =
        "{\"name\":\"warm-up\",\"model\":\"hf:org/model\",\"datasets\":{"
            + "\"c\":{\"source\":\"hf-dataset:org/c\",\"format\":\"text\"},"
            + "\"i\":{\"source\":\"hf-dataset:org/i\",\"format\":\"alpaca\"},"
            + "\"p\":{\"source\":\"hf-dataset:org/p\",\"format\":\"preference\"}},"
            + "\"stages\":[{\"stage\":\"pt\",\"datasets\":[\"c\"]},"
            + "{\"stage\":\"sft\",\"datasets\":[\"i\"]},{\"stage\":\"dpo\",\"datasets\":[\"p\"]},"
            + "{\"stage\":\"eval\"},{\"stage\":\"merge\"}]}";
    PipelineSpec spec = PipelineSpec.parse(json);
    for (StageSpec s : spec.stages())
      if (s.training()) StageKeys.key(s.stage(), s.args().toJson(), "0123456789abcdef");
  }

  @Override
  public void close() {
    factory.shutdown();
    factory.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
  }
}
