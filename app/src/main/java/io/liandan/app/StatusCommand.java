package io.liandan.app;

import io.liandan.workflows.PipelineStatus;
import io.liandan.workflows.StageStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code liandan status ID}: the pipeline's stages, as its workflow's status query reports them.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Show a pipeline's stages: state, step/total, loss, ETA, tracker runs.")
final class StatusCommand extends PipelineCommand {
  @Parameters(paramLabel = "ID", description = "pipeline (workflow) id")
  String id;

  @Override
  public Integer call() {
    PipelineStatus s;
    try {
      s = pipelines().status(id);
    } catch (io.temporal.client.WorkflowNotFoundException e) {
      throw new IllegalArgumentException(
          id
              + ": Temporal does not know this pipeline (an embedded server forgets on restart);"
              + " liandan resume "
              + id
              + " re-runs its stored spec over the stage cache");
    }
    out()
        .println(
            "pipeline "
                + s.pipelineId()
                + " ("
                + s.name()
                + ", project "
                + s.project()
                + ", group "
                + s.group()
                + "): "
                + s.state());
    for (StageStatus st : s.stages()) out().println("  " + PipelineWatch.line(st));
    for (String c : s.children()) out().println("  child " + c);
    if (s.error() != null) out().println(s.error());
    return 0;
  }
}
