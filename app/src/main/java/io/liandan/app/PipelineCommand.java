package io.liandan.app;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.liandan.workflows.runtime.Pipelines;
import io.temporal.client.WorkflowNotFoundException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What the pipeline commands share: where Temporal and the Liandan home are, and the output. */
abstract class PipelineCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin TemporalOptions temporal;

  @Mixin HomeOptions home;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  Pipelines pipelines() {
    return temporal.pipelines(home.home());
  }

  /**
   * What a pipeline command that failed with {@code e} says: that Temporal cannot be reached, or
   * that the pipeline is unknown, rather than the gRPC or SDK message; null for any other failure.
   */
  String failure(Exception e) {
    if (unreachable(e))
      return "Temporal at " + temporal.target() + " cannot be reached (is liandan up running?)";
    if (e instanceof WorkflowNotFoundException w)
      return "unknown pipeline " + w.getExecution().getWorkflowId();
    return null;
  }

  /**
   * Temporal's frontend did not answer: gRPC's UNAVAILABLE or its deadline, anywhere in the chain.
   */
  static boolean unreachable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause())
      if (t instanceof StatusRuntimeException g
          && (g.getStatus().getCode() == Status.Code.UNAVAILABLE
              || g.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED)) return true;
    return false;
  }
}
