package io.liandan.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.workflows.runtime.TemporalDevServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Temporal's own CLI for the tests, as tools/temporal-cli installs it: LIANDAN_TEMPORAL_CLI (CI
 * sets it), else {@code <repository root>/tools/.temporal-cli/bin/temporal}. Missing, the test
 * fails, saying to run tools/temporal-cli — never skips.
 */
record TemporalCli(Path binary, String address) {
  record Result(int code, String out) {}

  static Path find() {
    String env = System.getenv(TemporalDevServer.CLI_ENV);
    Path p =
        env != null && !env.isBlank()
            ? Path.of(env)
            : repositoryRoot().resolve("tools/.temporal-cli/bin/temporal");
    assertTrue(
        Files.isExecutable(p),
        "no Temporal CLI at "
            + p
            + ": run tools/temporal-cli (it installs the pinned CLI and prints its path;"
            + " CI exports it as "
            + TemporalDevServer.CLI_ENV
            + ")");
    return p;
  }

  static Path repositoryRoot() {
    Path d = Path.of("").toAbsolutePath();
    while (d != null && !Files.exists(d.resolve("tools/temporal-cli"))) d = d.getParent();
    return d == null ? Path.of("").toAbsolutePath() : d;
  }

  /** {@code temporal ARGS --address ADDRESS} in {@code cwd}; its exit code and output. */
  Result run(Path cwd, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(binary.toString()));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--address", address));
    Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), String.join(" ", cmd));
    return new Result(p.exitValue(), out);
  }

  /** The same, which must exit 0; its output. */
  String ok(Path cwd, String... args) throws IOException, InterruptedException {
    Result r = run(cwd, args);
    assertEquals(0, r.code(), "temporal " + String.join(" ", args) + ":\n" + r.out());
    return r.out();
  }

  /**
   * The README's command, run in {@code cwd}: {@code temporal workflow start --type
   * PipelineWorkflow --task-queue liandan --input-file SPEC}, plus the workflow id (to find it
   * again); its output.
   */
  String startPipeline(Path cwd, String spec, String workflowId)
      throws IOException, InterruptedException {
    return ok(
        cwd,
        "workflow",
        "start",
        "--type",
        "PipelineWorkflow",
        "--task-queue",
        "liandan",
        "--input-file",
        spec,
        "--workflow-id",
        workflowId);
  }
}
