package io.liandan.app;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code liandan cancel ID}: the running stage stops at its next step, keeping its checkpoints. */
@Command(
    name = "cancel",
    mixinStandardHelpOptions = true,
    description = "Cancel a pipeline; the running stage stops cleanly and keeps its checkpoints.")
final class CancelCommand extends PipelineCommand {
  @Parameters(paramLabel = "ID", description = "pipeline (workflow) id")
  String id;

  @Override
  public Integer call() {
    pipelines().cancel(id);
    out().println("cancellation of " + id + " requested; liandan resume " + id + " continues it");
    return 0;
  }
}
