package io.liandan.bench;

import io.liandan.activities.StageActivities;
import io.liandan.contracts.ArtifactStore;
import io.liandan.contracts.LocalPaths;
import io.liandan.llm.demo.DemoPipeline;
import io.liandan.tracker.TrackerConfig;
import io.liandan.tracker.TrackerServer;
import io.liandan.tracker.client.TrackerClient;
import io.liandan.tracker.client.TrackerClientConfig;
import io.liandan.workflows.PipelineResult;
import io.liandan.workflows.StageStatus;
import io.liandan.workflows.runtime.EmbeddedTemporal;
import io.liandan.workflows.runtime.PipelineWorker;
import io.liandan.workflows.runtime.Pipelines;
import io.liandan.workflows.runtime.StageOverhead;
import io.liandan.workflows.runtime.TemporalDevServer;
import io.temporal.api.history.v1.HistoryEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the workflow adds to each stage of the demo pipeline: the gap between one stage's end and
 * the next one's scheduling (a workflow task round trip), the activity's time beyond the stage's
 * own work (task dispatch, cache lookup, lock, tracker run, marker, result), and the reporting
 * inside the work (heartbeats, progress signals, the tracker buffer written at checkpoints); the
 * download stage is all overhead (content hashing of the model and data). Times from the workflow's
 * history (the embedded server's clock) and from the activities' own timers. Args: [tracker] to log
 * to an embedded tracker as a real worker does; [quick] for the short demo; [dev] for the real
 * server ({@code temporal server start-dev}, as {@code liandan up} runs it) instead of the
 * in-memory test server.
 *
 * <pre>mvn -q -pl bench exec:java -Dbench.main=io.liandan.bench.PipelineOverheadBench
 * -Dexec.args="tracker"</pre>
 */
public final class PipelineOverheadBench {
  public static void main(String[] args) throws Exception {
    boolean withTracker = List.of(args).contains("tracker");
    boolean quick = List.of(args).contains("quick");
    boolean devServer = List.of(args).contains("dev");
    Path dir = Files.createTempDirectory("liandan-overhead");
    Path specFile =
        quick
            ? DemoPipeline.writeShort(dir.resolve("demo"), DemoPipeline.Size.QUICK)
            : DemoPipeline.writeDemo(dir.resolve("demo"));
    var spec =
        LocalPaths.resolvePaths(
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(specFile.toFile()),
            specFile.getParent());
    TrackerServer tracker =
        withTracker
            ? TrackerServer.start(
                TrackerConfig.defaults().withDataDir(dir.resolve("postgres")).withPort(0))
            : null;
    TrackerClient client =
        tracker == null
            ? null
            : TrackerClient.open(
                TrackerClientConfig.of(tracker.url(), tracker.tokens().create("bench").token())
                    .withBufferDir(dir.resolve("buffer")));
    try (AutoCloseable temporal = devServer ? startDev(dir) : EmbeddedTemporal.start(0)) {
      String target =
          temporal instanceof TemporalDevServer d
              ? d.target()
              : ((EmbeddedTemporal) temporal).target();
      var wf = Pipelines.connect(target, "default");
      Pipelines pipelines = new Pipelines(wf, new ArtifactStore(dir.resolve("home")));
      try (PipelineWorker worker =
          PipelineWorker.start(
              wf,
              new PipelineWorker.Config(List.of("liandan"), 1),
              StageActivities.create(wf, dir.resolve("home"), client, null))) {
        long t0 = System.nanoTime();
        pipelines.start("overhead", spec, "liandan");
        PipelineResult r = pipelines.result("overhead");
        double wall = (System.nanoTime() - t0) / 1e9;
        List<StageStatus> stages = pipelines.status("overhead").stages();
        report(wf.fetchHistory("overhead").getHistory().getEventsList(), stages, r, wall);
      }
    } finally {
      if (client != null) client.close();
      if (tracker != null) tracker.close();
    }
    System.out.printf(
        "(%s; tracker %s; Temporal: %s; machine: %d cores, %s)%n",
        quick ? "quick demo" : "the demo",
        withTracker ? "on" : "off",
        devServer ? "temporal server start-dev (SQLite)" : "in-memory test server",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("os.arch"));
  }

  /** The real server, as {@code liandan up} runs it (its CLI from LIANDAN_TEMPORAL_CLI or PATH). */
  static TemporalDevServer startDev(Path dir) throws java.io.IOException {
    java.nio.file.Path cli =
        TemporalDevServer.findCli()
            .orElseThrow(
                () -> new IllegalStateException("no temporal CLI: run tools/temporal-cli"));
    int port, ui;
    try (var a = new java.net.ServerSocket(0);
        var b = new java.net.ServerSocket(0)) {
      port = a.getLocalPort();
      ui = b.getLocalPort();
    }
    return TemporalDevServer.start(cli, dir.resolve("temporal"), port, ui);
  }

  static void report(
      List<HistoryEvent> events, List<StageStatus> stages, PipelineResult r, double wall) {
    System.out.println(
        "| stage | stage's own work (s) | scheduling gap (s) | activity beyond the work (s) |"
            + " reporting inside the work (s) | workflow overhead (s) | overhead / work |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|");
    double[] closing = new double[1];
    double totalWork = 0, totalOverhead = 0;
    List<StageOverhead> rows = StageOverhead.of(events, stages, r, closing);
    for (StageOverhead o : rows) {
      totalWork += o.work();
      totalOverhead += o.overhead();
      System.out.printf(
          "| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %s |%n",
          o.stage(),
          o.work(),
          o.gap(),
          o.beyond(),
          o.listener(),
          o.overhead(),
          o.work() > 0
              ? String.format("%.2f %%", 100 * o.overhead() / o.work())
              : "(all overhead: hashing)");
    }
    totalOverhead += closing[0];
    System.out.printf(
        "| **all %d stages** | %.2f | | | | %.2f (incl. %.3f s to close the workflow) | %.2f %% |%n",
        rows.size(), totalWork, totalOverhead, closing[0], 100 * totalOverhead / totalWork);
    System.out.printf("wall time of the pipeline as the client saw it: %.2f s%n", wall);
  }
}
