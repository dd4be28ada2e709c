package io.liandan.app;

import io.liandan.workflows.PipelineStatus;
import io.liandan.workflows.StageStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code liandan status ID}: the pipeline's stages, as its workflow's status query reports them;
 * the exit code says how it stands (scripts wait on it). Without an id: the pipelines Temporal
 * knows, newest first, through its visibility API.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description =
        "Show a pipeline's stages: state, step/total, loss, ETA, tracker runs; without ID,"
            + " list the pipelines.",
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {
      "0:running or completed (or the list shown)",
      "3:failed",
      "4:cancelled (or terminated)",
      "5:unknown pipeline",
      "1:Temporal unreachable, or another error"
    })
final class StatusCommand extends PipelineCommand {
  static final int FAILED = 3, CANCELLED = 4, UNKNOWN = 5;

  @Parameters(paramLabel = "ID", arity = "0..1", description = "pipeline (workflow) id")
  String id;

  @Option(names = "--limit", defaultValue = "50", description = "pipelines listed without ID")
  int limit;

  @Override
  public Integer call() {
    if (id == null) return list();
    PipelineStatus s;
    try {
      s = pipelines().status(id);
    } catch (io.temporal.client.WorkflowNotFoundException e) {
      if (pipelines().storedSpec(id) == null) {
        spec.commandLine().getErr().println("liandan: unknown pipeline " + id);
      } else {
        spec.commandLine()
            .getErr()
            .println(
                "liandan: "
                    + id
                    + ": this home started it, but Temporal does not know it (an in-memory server"
                    + " forgets on restart); liandan resume "
                    + id
                    + " re-runs its stored spec over the stage cache");
      }
      return UNKNOWN;
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
    return switch (s.state()) {
      case "failed" -> FAILED;
      case "cancelled" -> CANCELLED;
      default -> 0;
    };
  }

  private int list() {
    var client = pipelines().client();
    try {
      // newest first is how visibility orders them
      client
          .listExecutions("WorkflowType = 'PipelineWorkflow'")
          .limit(limit)
          .forEach(
              m ->
                  out()
                      .printf(
                          "%-40s %-12s started %s%s%n",
                          m.getExecution().getWorkflowId(),
                          m.getStatus()
                              .name()
                              .replace("WORKFLOW_EXECUTION_STATUS_", "")
                              .toLowerCase(),
                          m.getStartTime(),
                          m.getCloseTime() == null ? "" : ", closed " + m.getCloseTime()));
      return 0;
    } catch (io.grpc.StatusRuntimeException e) {
      if (e.getStatus().getCode() == io.grpc.Status.Code.UNIMPLEMENTED) {
        spec.commandLine()
            .getErr()
            .println(
                "liandan: this Temporal (the in-memory test server) cannot list pipelines; give an"
                    + " ID, or run liandan up with the temporal CLI installed");
        return 1;
      }
      throw e;
    }
  }
}
