package io.liandan.workflows.runtime;

import io.temporal.api.workflowservice.v1.DescribeNamespaceRequest;
import io.temporal.client.WorkflowClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The real Temporal server that {@code liandan up} runs by default: Temporal's CLI {@code temporal
 * server start-dev} as a child process — one node, its state in a SQLite file under the Liandan
 * home, so workflows survive any restart, with visibility (list), reset and the Web UI — bound to
 * 127.0.0.1. Not the in-memory test server ({@link EmbeddedTemporal}, the fallback without a CLI).
 *
 * <p>A SIGKILLed {@code up} cannot stop its child, which then keeps the port and the SQLite file:
 * the next start finds it through the pid file (trusted only while that process's command line
 * names this home's database) and stops it before starting its own.
 */
public final class TemporalDevServer implements AutoCloseable {
  /** Where the CLI is: this variable, else {@code temporal} on the PATH. */
  public static final String CLI_ENV = "LIANDAN_TEMPORAL_CLI";

  private final Process process;
  private final Path dir;
  private final int port;
  private final int uiPort;
  private final String tookOver;

  private TemporalDevServer(Process process, Path dir, int port, int uiPort, String tookOver) {
    this.process = process;
    this.dir = dir;
    this.port = port;
    this.uiPort = uiPort;
    this.tookOver = tookOver;
  }

  /** The Temporal CLI to run, if there is one. */
  public static Optional<Path> findCli() {
    String env = System.getenv(CLI_ENV);
    if (env != null && !env.isBlank()) {
      Path p = Path.of(env);
      return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }
    String path = System.getenv("PATH");
    if (path == null) return Optional.empty();
    for (String d : path.split(java.io.File.pathSeparator)) {
      if (d.isEmpty()) continue;
      Path p = Path.of(d, "temporal");
      if (Files.isExecutable(p) && !Files.isDirectory(p)) return Optional.of(p);
    }
    return Optional.empty();
  }

  /**
   * Starts {@code cli server start-dev} on 127.0.0.1:{@code port} (Web UI on {@code uiPort}) with
   * its database, log and pid file in {@code dir}; returns once the default namespace answers.
   */
  public static TemporalDevServer start(Path cli, Path dir, int port, int uiPort) {
    try {
      Files.createDirectories(dir);
      Path db = dir.resolve("temporal.db").toAbsolutePath();
      String tookOver = stopOrphan(dir, db);
      Path log = dir.resolve("server.log");
      ProcessBuilder pb =
          new ProcessBuilder(
              cli.toString(),
              "server",
              "start-dev",
              "--db-filename",
              db.toString(),
              "--ip",
              "127.0.0.1",
              "--port",
              Integer.toString(port),
              "--ui-port",
              Integer.toString(uiPort),
              "--ui-disable-news-fetch", // nothing outside this machine is asked for
              "--log-level",
              "warn");
      pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      Process p = pb.start();
      Files.writeString(pidFile(dir), Long.toString(p.pid()));
      TemporalDevServer s = new TemporalDevServer(p, dir, port, uiPort, tookOver);
      try {
        s.awaitReady(log);
      } catch (RuntimeException e) {
        s.close();
        throw e;
      }
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException("Temporal dev server in " + dir + ": " + e.getMessage(), e);
    }
  }

  private void awaitReady(Path log) throws IOException {
    WorkflowClient client = Pipelines.connect(target(), "default");
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (true) {
        if (!process.isAlive())
          throw new IllegalStateException(
              "temporal server start-dev exited ("
                  + process.exitValue()
                  + ") on port "
                  + port
                  + "; its log ("
                  + log
                  + "):\n"
                  + tail(log));
        try {
          client
              .getWorkflowServiceStubs()
              .blockingStub()
              .withDeadlineAfter(2, TimeUnit.SECONDS)
              .describeNamespace(
                  DescribeNamespaceRequest.newBuilder().setNamespace("default").build());
          return;
        } catch (RuntimeException notYet) {
          if (System.nanoTime() > deadline)
            throw new IllegalStateException(
                "temporal server start-dev did not answer on " + target() + " within 60 s", notYet);
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while Temporal started", e);
        }
      }
    } finally {
      client.getWorkflowServiceStubs().shutdownNow();
    }
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
  }

  static Path pidFile(Path dir) {
    return dir.resolve("server.pid");
  }

  /**
   * Stops a dev server that a killed {@code up} left running on this database (SIGTERM, then
   * SIGKILL after 10 s); says what it did, or null when there was none.
   */
  static String stopOrphan(Path dir, Path db) throws IOException {
    Path pidFile = pidFile(dir);
    if (!Files.exists(pidFile)) return null;
    long pid;
    try {
      pid = Long.parseLong(Files.readString(pidFile).strip());
    } catch (NumberFormatException e) {
      Files.deleteIfExists(pidFile);
      return null;
    }
    Optional<ProcessHandle> h = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    if (h.isEmpty() || !commandLine(pid).contains(db.toString())) {
      Files.deleteIfExists(pidFile); // gone, or the PID now belongs to someone else
      return null;
    }
    h.get().destroy();
    try {
      h.get().onExit().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      h.get().destroyForcibly();
      try {
        h.get().onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e2) {
        throw new IOException("could not stop the orphaned Temporal server, pid " + pid, e2);
      }
    }
    Files.deleteIfExists(pidFile);
    return "stopped the Temporal server (pid "
        + pid
        + ") left running on "
        + db
        + " by a liandan up that was killed; starting a new one on the same database";
  }

  private static String commandLine(long pid) {
    try {
      // NUL-separated arguments
      return new String(
          Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** host:port for clients and workers. */
  public String target() {
    return "127.0.0.1:" + port;
  }

  public String uiUrl() {
    return "http://127.0.0.1:" + uiPort;
  }

  public long pid() {
    return process.pid();
  }

  /** What the start did about an orphaned server of the same home (null: there was none). */
  public String tookOver() {
    return tookOver;
  }

  /** Stops the server (SIGTERM: it closes its database cleanly; SIGKILL after 10 s). */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    try {
      Files.deleteIfExists(pidFile(dir));
    } catch (IOException ignored) {
      // a stale pid file is checked against the process's command line on the next start
    }
  }
}
