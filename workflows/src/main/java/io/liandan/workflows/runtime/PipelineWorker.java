package io.liandan.workflows.runtime;

import io.liandan.contracts.StageKeys;
import io.liandan.workflows.PipelineSpec;
import io.liandan.workflows.PipelineWorkflowImpl;
import io.liandan.workflows.StageSpec;
import io.temporal.client.WorkflowClient;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import java.time.Duration;
import java.util.List;

/**
 * A worker: on each of its task queues, the pipeline workflow and the stage activities it is given
 * (the activities module's {@code StageActivities}, or fakes in tests). Stages run one at a time
 * per worker by default — a training stage uses every core or the whole GPU; several workers may
 * serve one queue. This module never sees the activities' classes: the workflow compiles against
 * the contracts alone.
 */
public final class PipelineWorker implements AutoCloseable {
  /** Which queues to poll and how many stages at once. */
  public record Config(List<String> queues, int parallelStages) {
    public Config {
      queues = queues == null || queues.isEmpty() ? List.of("liandan") : List.copyOf(queues);
      parallelStages = Math.max(1, parallelStages);
    }
  }

  private final WorkerFactory factory;

  private PipelineWorker(WorkerFactory factory) {
    this.factory = factory;
  }

  /** {@code activities}: the implementations of the contracts' activity interfaces. */
  public static PipelineWorker start(
      WorkflowClient client, Config config, List<Object> activities) {
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
      w.registerActivitiesImplementations(activities.toArray());
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
