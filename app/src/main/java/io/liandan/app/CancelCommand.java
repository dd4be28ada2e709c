package io.liandan.app;

import picocli.CommandLine.Command;

/** {@code liandan cancel ID}: the running stage stops at its next step, keeping its checkpoints. */
@Command(
    name = "cancel",
    mixinStandardHelpOptions = true,
    description = "Cancel a pipeline; the running stage stops cleanly and keeps its checkpoints.")
final class CancelCommand extends OnePipelineCommand {
  @Override
  public Integer call() {
    pipelines().cancel(id);
    out().println("cancellation of " + id + " requested; liandan resume " + id + " continues it");
    return 0;
  }
}
