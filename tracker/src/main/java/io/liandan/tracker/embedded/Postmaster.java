package io.liandan.tracker.embedded;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A PostgreSQL postmaster as its data folder's {@code postmaster.pid} names it (line 1 the PID,
 * line 2 the data folder, line 4 the port). A PID is only trusted while that process is alive and
 * its command line names this data folder, so a recycled PID is never signalled.
 */
public record Postmaster(long pid, Path dataDir, int port) {

  /** The postmaster running on {@code dataDir}, if one is alive. */
  public static Optional<Postmaster> running(Path dataDir) {
    Path pidFile = dataDir.resolve("postmaster.pid");
    List<String> lines;
    try {
      lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return Optional.empty();
    }
    if (lines.size() < 4) {
      return Optional.empty(); // being written by a postmaster that is starting
    }
    try {
      Postmaster p =
          new Postmaster(
              Long.parseLong(lines.get(0).strip()),
              dataDir,
              Integer.parseInt(lines.get(3).strip()));
      return p.alive() ? Optional.of(p) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * A postmaster of {@code dataDir} found by its command line ({@code postgres -D <dataDir> -p
   * <port> …}) rather than by {@code postmaster.pid}: one that is still starting (its pid file not
   * yet written, or still the dead predecessor's) is found too. After a SIGKILL of a tracker whose
   * watchdog had just restarted its PostgreSQL, that half-started postmaster is the orphan, and a
   * new one beside it exits at once ("lock file postmaster.pid already exists").
   */
  public static Optional<Postmaster> byCommandLine(Path dataDir) {
    String dir = dataDir.toAbsolutePath().toString();
    return ProcessHandle.allProcesses()
        .map(ProcessHandle::pid)
        .flatMap(
            pid ->
                commandLine(pid).filter(args -> serves(args, dir)).stream()
                    .map(
                        args ->
                            new Postmaster(
                                pid,
                                dataDir,
                                option(args, "-p").map(Integer::parseInt).orElse(-1))))
        .findFirst();
  }

  /** {@code postgres … -D dir …}: the postmaster of {@code dir} (its backends name no folder). */
  private static boolean serves(List<String> args, String dir) {
    return !args.isEmpty()
        && args.get(0).endsWith("postgres")
        && option(args, "-D").filter(dir::equals).isPresent();
  }

  private static Optional<String> option(List<String> args, String flag) {
    int i = args.indexOf(flag);
    return i >= 0 && i + 1 < args.size() ? Optional.of(args.get(i + 1)) : Optional.empty();
  }

  /** A process's arguments from /proc/PID/cmdline (NUL-separated); empty if gone or unreadable. */
  private static Optional<List<String>> commandLine(long pid) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      if (raw.length == 0) return Optional.empty();
      return Optional.of(List.of(new String(raw, StandardCharsets.UTF_8).split("\0")));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Waits until no process is attached to the shared memory segment the last postmaster of {@code
   * dataDir} created (line 7 of its {@code postmaster.pid}: key and id). After a SIGKILL of the
   * postmaster its backends and helper processes live on for a moment, still attached; a new
   * postmaster refuses to start while they are ("pre-existing shared memory block is still in use")
   * and zonky then waits out its whole start timeout without trying again. Returns whether the
   * segment is free (or gone) within {@code timeout}.
   */
  public static boolean awaitSharedMemoryReleased(Path dataDir, Duration timeout) {
    long until = System.nanoTime() + timeout.toNanos();
    Optional<Long> shmid = sharedMemoryId(dataDir);
    return await(() -> shmid.isEmpty() || attachments(shmid.get()) <= 0, until, 100);
  }

  /**
   * Polls {@code done} every {@code pollMillis} until it holds (true) or {@link System#nanoTime()}
   * passes {@code until} (false); false too when interrupted, with the interrupt flag set again.
   */
  private static boolean await(BooleanSupplier done, long until, long pollMillis) {
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > until) {
        return false;
      }
      try {
        Thread.sleep(pollMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /** The SysV shared memory id in a (possibly stale) postmaster.pid, if it names one. */
  static Optional<Long> sharedMemoryId(Path dataDir) {
    try {
      List<String> lines =
          Files.readAllLines(dataDir.resolve("postmaster.pid"), StandardCharsets.UTF_8);
      if (lines.size() < 7) {
        return Optional.empty();
      }
      String[] keyAndId = lines.get(6).strip().split("\\s+");
      return keyAndId.length == 2 ? Optional.of(Long.parseLong(keyAndId[1])) : Optional.empty();
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * nattch of a segment in /proc/sysvipc/shm (key shmid perms size cpid lpid nattch …); 0 when
   * gone.
   */
  static int attachments(long shmid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/sysvipc/shm"))) {
        String[] f = line.strip().split("\\s+");
        if (f.length > 6 && f[1].equals(Long.toString(shmid))) {
          return Integer.parseInt(f[6]);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return 0; // not Linux, or unreadable: PostgreSQL's own check still guards the start
    }
    return 0;
  }

  public boolean alive() {
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isEmpty() || !h.get().isAlive()) {
      return false;
    }
    try {
      // /proc/PID/cmdline: NUL-separated arguments, e.g. postgres -D <dataDir> -p <port> …
      String cmd =
          new String(
              Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
              StandardCharsets.UTF_8);
      return cmd.contains(dataDir.toAbsolutePath().toString()) || cmd.contains(dataDir.toString());
    } catch (IOException e) {
      return false; // gone meanwhile, or not ours to read
    }
  }

  /**
   * Stops it: fast shutdown (SIGINT: open sessions end, a clean checkpoint is written), then
   * SIGKILL if it has not exited in {@code seconds}. PostgreSQL recovers from its WAL either way.
   */
  public void stop(long seconds) throws IOException {
    signal("INT");
    if (!waitForExit(seconds)) {
      signal("KILL");
      waitForExit(10);
    }
  }

  private void signal(String name) throws IOException {
    try {
      new ProcessBuilder("kill", "-" + name, Long.toString(pid))
          .redirectErrorStream(true)
          .start()
          .waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while stopping PostgreSQL " + pid, e);
    }
  }

  private boolean waitForExit(long seconds) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    return await(() -> !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), until, 50);
  }
}
