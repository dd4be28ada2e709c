package io.liandan.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.workflows.PipelineSpec;
import io.liandan.workflows.runtime.Pipelines;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code liandan resume ID}: starts the pipeline's stored spec again under the same id. Finished
 * stages are found in the stage cache and skipped, a training stage resumes from its checkpoints:
 * only what is missing runs — also after the Temporal server itself was lost.
 */
@Command(
    name = "resume",
    mixinStandardHelpOptions = true,
    description = "Re-run a pipeline's stored spec; cached stages are skipped, training resumes.")
final class ResumeCommand extends OnePipelineCommand {
  @Option(
      names = "--queue",
      description =
          "the workflow's task queue (default: the queue its last run used, if Temporal still"
              + " knows it, else liandan)")
  String queue;

  @Option(names = "--watch", description = "follow the stages' progress until the pipeline ends")
  boolean watch;

  @Override
  public Integer call() throws Exception {
    Pipelines pipelines = pipelines();
    JsonNode spec = pipelines.storedSpec(id);
    if (spec == null)
      throw new IllegalArgumentException(
          id + ": no stored spec under " + home.home().resolve("pipelines"));
    WorkflowExecutionInfo last = lastExecution(pipelines);
    if (last != null
        && last.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
      out().println("pipeline " + id + " is running; nothing to resume");
      return 0;
    }
    String q = queue;
    if (q == null) q = last != null ? last.getTaskQueue() : "liandan";
    if (q.isEmpty()) q = "liandan";
    out().println("resuming " + id + " on task queue " + q);
    pipelines.start(id, spec, q);
    return RunCommand.started(
        pipelines, id, PipelineSpec.parse(spec).project(), watch, null, out());
  }

  /** The pipeline's latest execution as Temporal knows it; null after the server lost it. */
  private WorkflowExecutionInfo lastExecution(Pipelines pipelines) {
    try {
      return pipelines.stub(id).describe().getWorkflowExecutionInfo();
    } catch (RuntimeException e) {
      return null; // unknown to this server: start it
    }
  }
}
