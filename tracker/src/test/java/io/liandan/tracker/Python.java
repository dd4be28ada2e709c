package io.liandan.tracker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The pinned Python peers (tools/pyenv) for tests that drive real Python clients: the interpreter
 * is {@code LIANDAN_PYTHON} when set, else {@code <repository root>/.venv/bin/python}; a missing
 * one fails the test (never skips it), saying how to make it.
 */
public final class Python {
  /** What a script printed and how it ended. */
  public record Result(int exitCode, String output) {
    /** The last line the script printed (its JSON summary, by the scripts' convention). */
    public String lastLine() {
      String[] lines = output.strip().split("\n");
      return lines[lines.length - 1];
    }
  }

  private Python() {}

  public static Path interpreter() {
    String env = System.getenv("LIANDAN_PYTHON");
    Path python =
        env != null && !env.isBlank()
            ? Path.of(env)
            : repositoryRoot().resolve(".venv").resolve("bin").resolve("python");
    if (!Files.isExecutable(python)) {
      throw new AssertionError(
          "no Python interpreter at "
              + python
              + ": run tools/pyenv (it creates .venv/ with the pinned peers), or set"
              + " LIANDAN_PYTHON to its output");
    }
    return python;
  }

  /** A script under tracker/src/test/python. */
  public static Path script(String name) {
    Path p = repositoryRoot().resolve("tracker/src/test/python").resolve(name);
    if (!Files.isRegularFile(p)) {
      throw new AssertionError("missing test script " + p);
    }
    return p;
  }

  /** Runs a script with extra environment, its stdout and stderr merged, within the timeout. */
  public static Result run(
      Path script, Map<String, String> env, long timeoutSeconds, String... args) {
    List<String> cmd = new ArrayList<>(List.of(interpreter().toString(), script.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    try {
      Path log = Files.createTempFile("liandan-python", ".log");
      try {
        Process p = pb.redirectOutput(log.toFile()).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor();
          throw new AssertionError(
              script.getFileName()
                  + " ran past "
                  + timeoutSeconds
                  + " s:\n"
                  + Files.readString(log, StandardCharsets.UTF_8));
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(log);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The folder holding tools/pyenv, found from the module's working directory upwards. */
  static Path repositoryRoot() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.exists(d.resolve("tools/pyenv"))) {
        return d;
      }
    }
    throw new AssertionError("no tools/pyenv above " + Path.of("").toAbsolutePath());
  }
}
