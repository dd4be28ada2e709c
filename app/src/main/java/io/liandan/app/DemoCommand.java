package io.liandan.app;

import io.liandan.contracts.ArtifactStore;
import io.liandan.contracts.StageResult;
import io.liandan.llm.demo.DemoData;
import io.liandan.llm.demo.DemoPipeline;
import io.liandan.llm.demo.DemoQuiz;
import io.liandan.tracker.TrackerServer;
import io.liandan.workflows.PipelineResult;
import io.liandan.workflows.PipelineStatus;
import io.liandan.workflows.runtime.Pipelines;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code liandan demo}: the demo pipeline through the workflow on the embedded stack — llm's demo
 * world generated into {@code --out}, then a mini Qwen2 from scratch through PT → SFT (LoRA) → DPO
 * → eval → merge, every stage a Temporal activity and a tracker run. Running it again finds every
 * stage in the stage cache.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Run the demo pipeline through Temporal: mini Qwen2 from scratch → PT → SFT → DPO → eval"
            + " → merge, tracked (CPU, minutes; --quick: under a minute).")
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Option(
      names = "--out",
      defaultValue = "liandan-demo",
      description = "folder for the demo's data and pipeline.json (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--quick", description = "a few steps per stage")
  boolean quick;

  @Option(
      names = "--family",
      defaultValue = DemoData.DEFAULT_FAMILY,
      description =
          "the mini model's architecture: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE};"
              + " its switches are examples/families/FAMILY.json)",
      completionCandidates = Families.class)
  String family;

  /** The families picocli lists in --help. */
  static final class Families implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return DemoData.FAMILIES.iterator();
    }
  }

  @Option(names = "--no-tracker", description = "do not log the runs to the embedded tracker")
  boolean noTracker;

  @Mixin TrackerOptions db;

  @Override
  public Integer call() throws Exception {
    // the progress lines say what the worker's stage log would: keep it quiet here
    System.setProperty("org.slf4j.simpleLogger.log.io.liandan.workflows", "warn");
    if (!DemoData.FAMILIES.contains(family))
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(),
          "--family: '" + family + "' is not one of " + String.join(", ", DemoData.FAMILIES));
    Path specFile =
        quick
            ? DemoPipeline.writeShort(out, DemoPipeline.Size.QUICK, family)
            : DemoPipeline.writeDemo(out, family);
    out().println("demo data and spec: " + specFile.toAbsolutePath());
    TrackerServer tracker = noTracker ? null : tracker();
    String id =
        "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    try (UpCommand.Stack stack =
        UpCommand.start(tracker, db, null, 0, 0, true, List.of("liandan"))) {
      Pipelines pipelines =
          new Pipelines(Pipelines.connect(stack.target(), "default"), new ArtifactStore(db.home()));
      pipelines.start(id, RunCommand.load(specFile), "liandan");
      out().println("pipeline " + id + " on the embedded Temporal at " + stack.target());
      PipelineStatus s = new PipelineWatch(pipelines, out()).follow(id);
      if (!s.state().equals("completed")) {
        out().println("pipeline " + id + " " + s.state() + ": " + s.error());
        return 1;
      }
      PipelineResult r = pipelines.result(id);
      out().println("artifacts (content-addressed, under " + db.home().resolve("artifacts") + "):");
      for (StageResult st : r.stages()) {
        out().printf("  %-13s %s%s%n", st.name(), st.out(), heldOut(st));
      }
      StageResult merged = r.stage("merge");
      // what the demo set out to teach, measured: every question of its world, asked greedily
      DemoQuiz.Score quiz =
          DemoQuiz.ask(
              Path.of(merged.out()), new DemoData(quick ? DemoPipeline.SHORT_SEED : DemoData.SEED));
      out().println("asked every question of the demo world: " + quiz.summary());
      quiz.answers().stream()
          .filter(a -> !a.exact())
          .limit(3)
          .forEach(
              a ->
                  out()
                      .println(
                          "  missed: "
                              + a.question().question()
                              + " → "
                              + a.reply()
                              + "  (true: "
                              + a.question().answer()
                              + ")"));
      out()
          .println(
              "try it:  ./liandan model generate --model " + merged.out() + " --prompt '熊猫吃什么？'");
    }
    if (tracker != null)
      out()
          .println(
              "tracked: project 'demo', group "
                  + id
                  + " — see it with ./liandan server, then "
                  + "http://127.0.0.1:7878/runs.html?project=demo");
    return 0;
  }

  /** A training stage's final held-out numbers, as the README's table states them. */
  static String heldOut(StageResult st) {
    StringBuilder b = new StringBuilder();
    for (String k : List.of("eval/loss", "eval/rewards/accuracies", "eval/rewards/margins")) {
      Double v = st.metrics().get(k);
      if (v != null) b.append(String.format("  %s %.4f", k, v));
    }
    return b.toString();
  }

  /** The embedded tracker, or null when it cannot start (the demo then runs untracked). */
  private TrackerServer tracker() {
    try {
      return TrackerServer.start(db.config().withPort(0));
    } catch (Exception e) {
      System.err.println("tracker not started (" + e.getMessage() + "); the demo runs without it");
      return null;
    }
  }
}
