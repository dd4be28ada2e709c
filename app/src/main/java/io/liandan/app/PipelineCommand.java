package io.liandan.app;

import io.liandan.workflows.runtime.Pipelines;
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
}
