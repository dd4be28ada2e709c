package io.liandan.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code liandan} command. Today: model inspection ({@code liandan model …}); the pipeline
 * commands (up, worker, run, resume, status) join as their modules land.
 */
@Command(
    name = "liandan",
    mixinStandardHelpOptions = true,
    version = "liandan 0.1.0",
    description = "Durable LLM training pipelines: train, track, compare.",
    subcommands = {ModelCommand.class, DemoCommand.class, ServerCommand.class, TokenCommand.class})
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
          cmd.getErr().println("liandan: " + e.getMessage());
          return e instanceof IllegalArgumentException
                  || e instanceof io.liandan.llm.safetensors.CheckpointException
              ? 2
              : 1;
        });
    return cl;
  }
}
