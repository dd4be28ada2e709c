package io.liandan.app;

import picocli.CommandLine.Parameters;

/** A pipeline command on one pipeline that exists, named by its id (cancel, resume). */
abstract class OnePipelineCommand extends PipelineCommand {
  @Parameters(paramLabel = "ID", description = "pipeline (workflow) id")
  String id;
}
