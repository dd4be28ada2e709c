package io.liandan.app;

import io.liandan.activities.StageActivities;
import io.liandan.tracker.client.TrackerClient;
import io.liandan.tracker.client.TrackerClientConfig;
import io.liandan.workflows.runtime.PipelineWorker;
import io.liandan.workflows.runtime.Pipelines;
import io.temporal.client.WorkflowClient;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code liandan worker}: serves pipeline workflows and stages on one or more task queues. */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = "Run a worker: pipeline workflows and stage activities on the given task queues.")
final class WorkerCommand extends PipelineCommand {
  @Option(
      names = "--queue",
      split = ",",
      description = "task queue(s) to serve (default: liandan); e.g. --queue liandan-gpu")
  List<String> queues = List.of("liandan");

  @Option(
      names = "--tracker-url",
      description = "tracker to log to (default: LIANDAN_TRACKER_URL; none: no tracking)")
  String trackerUrl;

  @Option(
      names = "--tracker-token",
      description = "tracker API token (default: LIANDAN_TRACKER_TOKEN)")
  String trackerToken;

  @Option(
      names = "--temporal-ui",
      description =
          "the Temporal Web UI's URL, for links from the tracker's runs (default:"
              + " LIANDAN_TEMPORAL_UI; none: no links)")
  String temporalUi;

  @Option(
      names = "--parallel",
      defaultValue = "1",
      description = "stages run at once by this worker")
  int parallel;

  @Override
  public Integer call() throws Exception {
    String url = trackerUrl != null ? trackerUrl : System.getenv("LIANDAN_TRACKER_URL");
    String token = trackerToken != null ? trackerToken : System.getenv("LIANDAN_TRACKER_TOKEN");
    TrackerClient tracker =
        url == null
            ? null
            : TrackerClient.open(
                TrackerClientConfig.of(url, token)
                    .withBufferDir(home.home().resolve("tracker-buffer")));
    WorkflowClient wf = Pipelines.connect(temporal.target(), temporal.namespace);
    PipelineWorker worker =
        PipelineWorker.start(
            wf,
            new PipelineWorker.Config(queues, parallel),
            StageActivities.create(
                wf,
                home.home(),
                tracker,
                temporalUi != null ? temporalUi : System.getenv("LIANDAN_TEMPORAL_UI")));
    out()
        .println(
            "liandan worker on "
                + temporal.target()
                + " queues "
                + queues
                + (tracker == null ? " (no tracker)" : " tracking to " + url)
                + "; home "
                + home.home());
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  worker.close();
                  if (tracker != null) tracker.close();
                  stop.countDown();
                },
                "worker-shutdown"));
    stop.await();
    return 0;
  }
}
