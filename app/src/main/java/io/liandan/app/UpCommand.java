package io.liandan.app;

import io.liandan.tracker.TrackerServer;
import io.liandan.tracker.client.TrackerClient;
import io.liandan.tracker.client.TrackerClientConfig;
import io.liandan.workflows.runtime.EmbeddedTemporal;
import io.liandan.workflows.runtime.PipelineWorker;
import io.liandan.workflows.runtime.Pipelines;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code liandan up}: the whole stack in one process — the tracker with its UI (embedded PostgreSQL
 * unless --db-url), the embedded Temporal server on 127.0.0.1 (unless --temporal names a real one)
 * and a worker that logs to that tracker. Ctrl-C stops them in reverse order.
 */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description =
        "Start the embedded stack: PostgreSQL, Temporal (loopback), tracker + UI, a worker.")
final class UpCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Mixin TrackerOptions db;

  @Option(
      names = "--temporal",
      description = "use this Temporal frontend (host:port) instead of starting the embedded one")
  String temporalTarget;

  @Option(
      names = "--temporal-port",
      defaultValue = "7233",
      description = "embedded Temporal's port")
  int temporalPort;

  @Option(
      names = "--port",
      description = "tracker HTTP port (default: 7878, or LIANDAN_TRACKER_PORT)")
  Integer port;

  @Option(names = "--queue", split = ",", description = "task queue(s) the worker serves")
  List<String> queues = List.of("liandan");

  /** The running stack; closing stops it. */
  record Stack(
      TrackerServer tracker,
      EmbeddedTemporal temporal,
      TrackerClient client,
      PipelineWorker worker,
      String target)
      implements AutoCloseable {
    @Override
    public void close() {
      worker.close();
      if (client != null) client.close(); // flushes every point before the tracker stops
      if (temporal != null) temporal.close();
      if (tracker != null) tracker.close();
    }
  }

  /**
   * Starts the stack; {@code tracker} null means none (the worker then logs nothing), port null the
   * configured port, target null the embedded Temporal on {@code temporalPort} (0: any).
   */
  static Stack start(
      TrackerServer tracker,
      TrackerOptions db,
      String target,
      int temporalPort,
      List<String> queues) {
    EmbeddedTemporal temporal = target == null ? EmbeddedTemporal.start(temporalPort) : null;
    String t = target == null ? temporal.target() : target;
    TrackerClient client = null;
    if (tracker != null) {
      String token = tracker.tokens().create("liandan worker").token();
      client =
          TrackerClient.open(
              TrackerClientConfig.of(tracker.url(), token)
                  .withBufferDir(db.home().resolve("tracker-buffer")));
    }
    PipelineWorker worker =
        PipelineWorker.start(
            Pipelines.connect(t, "default"),
            new PipelineWorker.Config(
                db.home(), queues, client, 1, temporal != null ? Duration.ZERO : null));
    return new Stack(tracker, temporal, client, worker, t);
  }

  @Override
  public Integer call() throws Exception {
    TrackerServer tracker =
        TrackerServer.start(port == null ? db.config() : db.config().withPort(port));
    Stack stack = start(tracker, db, temporalTarget, temporalPort, queues);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stack.close();
                  stopped.countDown();
                },
                "liandan-up-shutdown"));
    out().println("Liandan is up (Ctrl-C stops it)");
    out().println("  tracker + UI: " + stack.tracker().url());
    out()
        .println(
            "  Temporal:     "
                + stack.target()
                + (stack.temporal() != null ? " (embedded, in memory, loopback only)" : ""));
    out().println("  worker:       queues " + queues + ", home " + db.home());
    out()
        .println(
            "  start one:    liandan run SPEC --watch   (e.g. examples/demo/pipeline.json after"
                + " liandan demo --out examples/demo)");
    out()
        .println(
            "           or: temporal workflow start --type PipelineWorkflow --task-queue liandan"
                + " --input-file spec.json --address "
                + stack.target());
    stopped.await();
    return 0;
  }
}
