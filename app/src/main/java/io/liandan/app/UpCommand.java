package io.liandan.app;

import io.liandan.activities.StageActivities;
import io.liandan.tracker.TrackerServer;
import io.liandan.tracker.client.TrackerClient;
import io.liandan.tracker.client.TrackerClientConfig;
import io.liandan.workflows.runtime.EmbeddedTemporal;
import io.liandan.workflows.runtime.PipelineWorker;
import io.liandan.workflows.runtime.Pipelines;
import io.liandan.workflows.runtime.TemporalDevServer;
import io.temporal.client.WorkflowClient;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code liandan up}: the whole stack — the tracker with its UI (embedded PostgreSQL unless
 * --db-url), Temporal on 127.0.0.1 (Temporal's CLI {@code temporal server start-dev} as a child
 * process with its state in the home, or without a CLI the in-memory test server; none when
 * --temporal names a cluster) and a worker that logs to that tracker. Ctrl-C stops them in reverse
 * order; after a SIGKILL the next {@code up} on the same home carries on the pipelines it ran.
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
      description = "embedded Temporal's gRPC port (default: ${DEFAULT-VALUE})")
  int temporalPort;

  @Option(
      names = "--temporal-ui-port",
      defaultValue = "8233",
      description = "the Temporal Web UI's port (default: ${DEFAULT-VALUE})")
  int temporalUiPort;

  @Option(
      names = "--in-memory-temporal",
      description =
          "run Temporal's in-memory test server even when the temporal CLI is there (pipelines"
              + " do not survive a restart)")
  boolean inMemory;

  @Option(
      names = "--port",
      description = "tracker HTTP port (default: 7878, or LIANDAN_TRACKER_PORT)")
  Integer port;

  @Option(names = "--queue", split = ",", description = "task queue(s) the worker serves")
  List<String> queues = List.of("liandan");

  /** The running stack; closing stops it. {@code temporal} null: a cluster that is not ours. */
  record Stack(
      TrackerServer tracker,
      Temporal temporal,
      TrackerClient client,
      PipelineWorker worker,
      String target)
      implements AutoCloseable {
    @Override
    public void close() {
      worker.close();
      if (client != null) client.close(); // flushes every point before the tracker stops
      if (temporal != null) temporal.stop().run();
      if (tracker != null) tracker.close();
    }
  }

  /**
   * The Temporal server {@code up} runs: what it is (for the start-up lines), its Web UI (null:
   * none), and what it did about an orphan of the same home (null: nothing).
   */
  record Temporal(Runnable stop, String target, String kind, String ui, String note) {
    /**
     * The real dev server when the temporal CLI is found (state in the home: workflows survive a
     * restart), else the in-memory test server.
     */
    static Temporal start(Path home, int port, int uiPort, boolean inMemory) {
      var cli = inMemory ? java.util.Optional.<Path>empty() : TemporalDevServer.findCli();
      if (cli.isPresent()) {
        TemporalDevServer d =
            TemporalDevServer.start(cli.get(), home.resolve("temporal"), port, uiPort);
        return new Temporal(
            d::close,
            d.target(),
            "temporal server start-dev, state in "
                + home.resolve("temporal")
                + " (log: server.log), loopback only",
            d.uiUrl(),
            d.tookOver());
      }
      EmbeddedTemporal e = EmbeddedTemporal.start(port);
      return new Temporal(
          e::close,
          e.target(),
          "in-memory test server, loopback only",
          null,
          inMemory
              ? null
              : "no temporal CLI found (LIANDAN_TEMPORAL_CLI or PATH; tools/temporal-cli installs"
                  + " it): the in-memory test server runs instead, and pipelines will not survive a"
                  + " restart");
    }
  }

  /**
   * Starts the stack; {@code tracker} null means none (the worker then logs nothing), target null
   * an embedded Temporal on {@code temporalPort} (0: any): the real dev server unless {@code
   * inMemory} or no CLI is found.
   */
  static Stack start(
      TrackerServer tracker,
      TrackerOptions db,
      String target,
      int temporalPort,
      int temporalUiPort,
      boolean inMemory,
      List<String> queues) {
    Temporal temporal =
        target == null ? Temporal.start(db.home(), temporalPort, temporalUiPort, inMemory) : null;
    String t = target == null ? temporal.target() : target;
    TrackerClient client = null;
    if (tracker != null) {
      String token = tracker.tokens().create("liandan worker").token();
      client =
          TrackerClient.open(
              TrackerClientConfig.of(tracker.url(), token)
                  .withBufferDir(db.home().resolve("tracker-buffer")));
    }
    WorkflowClient wf = Pipelines.connect(t, "default");
    PipelineWorker worker =
        PipelineWorker.start(
            wf,
            new PipelineWorker.Config(queues, 1),
            StageActivities.create(wf, db.home(), client, temporal == null ? null : temporal.ui()));
    return new Stack(tracker, temporal, client, worker, t);
  }

  @Override
  public Integer call() throws Exception {
    TrackerServer tracker =
        TrackerServer.start(port == null ? db.config() : db.config().withPort(port));
    Stack stack;
    try {
      stack = start(tracker, db, temporalTarget, temporalPort, temporalUiPort, inMemory, queues);
    } catch (RuntimeException e) {
      tracker.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stack.close();
                  stopped.countDown();
                },
                "liandan-up-shutdown"));
    Temporal tm = stack.temporal();
    if (tm != null && tm.note() != null) out().println("liandan: " + tm.note());
    out().println("Liandan is up (Ctrl-C stops it)");
    out().println("  tracker + UI: " + stack.tracker().url());
    out().println("  Temporal:     " + stack.target() + (tm != null ? " (" + tm.kind() + ")" : ""));
    if (tm != null && tm.ui() != null) out().println("  Temporal UI:  " + tm.ui());
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
