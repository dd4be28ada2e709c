package io.liandan.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code liandan cancel ID}: the running stage stops at its next step, keeping its checkpoints. */
@Command(
    name = "cancel",
    mixinStandardHelpOptions = true,
    description = "Cancel a pipeline; the running stage stops cleanly and keeps its checkpoints.")
final class CancelCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Parameters(paramLabel = "ID", description = "pipeline (workflow) id")
  String id;

  @Mixin TemporalOptions temporal;

  @Mixin HomeOptions home;

  @Override
  public Integer call() {
    temporal.pipelines(home.home()).cancel(id);
    out().println("cancellation of " + id + " requested; liandan resume " + id + " continues it");
    return 0;
  }
}
