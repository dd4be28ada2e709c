package io.liandan.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code liandan} command: the embedded stack ({@code up}), workers, pipelines ({@code run},
 * {@code status}, {@code resume}, {@code cancel}), the tracker ({@code server}, {@code token}), the
 * demo and model inspection ({@code model …}).
 */
@Command(
    name = "liandan",
    mixinStandardHelpOptions = true,
    version = "liandan 0.1.0",
    description = "Durable LLM training pipelines: train, track, compare.",
    subcommands = {
      UpCommand.class,
      WorkerCommand.class,
      RunCommand.class,
      StatusCommand.class,
      ResumeCommand.class,
      CancelCommand.class,
      DemoCommand.class,
      ServerCommand.class,
      TokenCommand.class,
      ModelCommand.class
    })
public final class Liandan {
  public static void main(String[] args) {
    // DJL must not phone home or download anything: the natives come from the jar
    if (System.getenv("DJL_OFFLINE") == null) System.setProperty("ai.djl.offline", "true");
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Liandan());
    // bad input gets one clear line, not a stack trace
    cl.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          String said = cmd.getCommand() instanceof PipelineCommand p ? p.failure(e) : null;
          cmd.getErr().println("liandan: " + (said != null ? said : e.getMessage()));
          return e instanceof IllegalArgumentException
                  || e instanceof io.liandan.llm.safetensors.CheckpointException
              ? 2
              : 1;
        });
    return cl;
  }
}
