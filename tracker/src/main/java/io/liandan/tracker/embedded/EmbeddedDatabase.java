package io.liandan.tracker.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tracker's own PostgreSQL on a home's data folder (zonky's binaries), run so that it is
 * durable, private and kept alive:
 *
 * <ul>
 *   <li>durable: zonky starts the postmaster with {@code -F} (fsync off) and {@code
 *       synchronous_commit=off}; both are turned back on, so a commit the tracker acknowledged is
 *       on disk before the HTTP 2xx goes out;
 *   <li>private: a new data folder is initialised with scram-sha-256 for every connection and the
 *       password of {@link DbPassword}; a folder of an earlier version (trust for everyone) gets
 *       that password and a rewritten pg_hba.conf on its first start;
 *   <li>orphans: a postmaster left running on this folder by a SIGKILLed server (no live process
 *       holds zonky's lock) is stopped before this one starts;
 *   <li>supervised: a watchdog thread restarts the postmaster, on the same port, when it dies.
 * </ul>
 */
public final class EmbeddedDatabase implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);
  public static final String USER = "postgres";
  private static final String LOCK_FILE = "epg-lock"; // zonky's lock on the data folder
  private static final long WATCH_MILLIS = 500;
  // backends of a SIGKILLed postmaster exit when they next look up (a checkpoint's fsyncs may be
  // in the way); far longer than that means something else is wrong
  private static final Duration ORPHANS_EXIT = Duration.ofSeconds(30);
  static final String HBA =
      """
      # Written by Liandan: every connection needs the password in the home's db-password file.
      local   all             all                                     scram-sha-256
      host    all             all             127.0.0.1/32            scram-sha-256
      host    all             all             ::1/128                 scram-sha-256
      local   replication     all                                     scram-sha-256
      host    replication     all             127.0.0.1/32            scram-sha-256
      host    replication     all             ::1/128                 scram-sha-256
      """;

  private final Path dataDir;
  private final String password;
  private final int port;
  private volatile EmbeddedPostgres pg;
  private volatile boolean closed;
  private final Thread watchdog;

  private EmbeddedDatabase(Path dataDir, String password, EmbeddedPostgres pg) {
    this.dataDir = dataDir;
    this.password = password;
    this.pg = pg;
    this.port = pg.getPort();
    this.watchdog = new Thread(this::watch, "liandan-postgres-watchdog");
    watchdog.setDaemon(true);
  }

  /** Starts (or takes over from an orphan) the PostgreSQL of {@code dataDir} and supervises it. */
  public static EmbeddedDatabase start(Path dataDir) throws IOException {
    Path dir = dataDir.toAbsolutePath();
    Files.createDirectories(dir);
    String password = DbPassword.readOrCreate(DbPassword.fileFor(dir));
    stopOrphan(dir);
    clearTheDead(dir);
    boolean fresh = !Files.exists(dir.resolve("postgresql.conf"));
    EmbeddedPostgres pg;
    try {
      pg = launch(dir, password, 0, fresh);
    } catch (IOException e) {
      throw new IOException(
          "PostgreSQL of " + dir + " did not start: " + e.getMessage() + logTail(dir), e);
    }
    try {
      if (!fresh) {
        secure(dir, pg.getPort(), password);
      }
    } catch (IOException | RuntimeException e) {
      pg.close();
      throw e;
    }
    EmbeddedDatabase db = new EmbeddedDatabase(dir, password, pg);
    db.watchdog.start();
    return db;
  }

  /** How to reach this database: its JDBC URL, user and password. */
  public Endpoint endpoint() {
    return new Endpoint(jdbcUrl(port), USER, password);
  }

  static String jdbcUrl(int port) {
    return "jdbc:postgresql://localhost:" + port + "/postgres";
  }

  public int port() {
    return port;
  }

  /** The postmaster now serving (it changes when the watchdog restarts one). */
  public Optional<Postmaster> postmaster() {
    return Postmaster.running(dataDir);
  }

  /** How to reach a database: JDBC URL, user, password. */
  public record Endpoint(String jdbcUrl, String user, String password) {}

  /**
   * The PostgreSQL already running on {@code dataDir} (a server's, or an orphan's), reached with
   * the home's password on the port its postmaster.pid names; empty when none runs.
   */
  public static Optional<Endpoint> running(Path dataDir) throws IOException {
    Path dir = dataDir.toAbsolutePath();
    Optional<Postmaster> p = Postmaster.running(dir);
    if (p.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new Endpoint(jdbcUrl(p.get().port()), USER, DbPassword.read(DbPassword.fileFor(dir))));
  }

  /**
   * Whether a live process other than an orphaned postmaster holds this data folder: another
   * tracker (or {@code token} command) that started its PostgreSQL.
   */
  public static boolean heldByLiveProcess(Path dataDir) {
    Path lock = dataDir.toAbsolutePath().resolve(LOCK_FILE);
    if (!Files.exists(lock)) {
      return false;
    }
    try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.WRITE)) {
      FileLock l = ch.tryLock();
      if (l == null) {
        return true;
      }
      l.release();
      return false;
    } catch (OverlappingFileLockException e) {
      return true; // this very JVM holds it
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A postmaster alive on this folder while no live process holds zonky's lock was left behind by a
   * server that died without stopping it (SIGKILL): stop it, so that this start owns the folder and
   * its settings. One that a live process holds is another server's: refuse, naming its port.
   */
  private static void stopOrphan(Path dir) throws IOException {
    Optional<Postmaster> running = Postmaster.running(dir).or(() -> Postmaster.byCommandLine(dir));
    if (running.isEmpty()) {
      return;
    }
    if (heldByLiveProcess(dir)) {
      throw new IOException(
          "another Liandan process runs the PostgreSQL of "
              + dir
              + " (port "
              + running.get().port()
              + "); stop it first, or run this command against it");
    }
    log.warn(
        "stopping the orphaned PostgreSQL (pid {}) of {} left by a server that was killed",
        running.get().pid(),
        dir);
    running.get().stop(30);
  }

  /**
   * What a SIGKILLed postmaster leaves that stops a new one from starting: its backends, still
   * attached to its shared memory for a moment ("pre-existing shared memory block is still in
   * use"), and its {@code postmaster.pid}. The pid file is stale once no postmaster of this folder
   * runs, but PostgreSQL only asks whether its PID exists, and a killed postmaster whose parent was
   * init stays a zombie, existing, until init reaps it (this machine's init is slow to): PostgreSQL
   * then refuses ("lock file postmaster.pid already exists"). Called after {@link #stopOrphan}, so
   * no live postmaster of the folder is left.
   */
  private static void clearTheDead(Path dir) throws IOException {
    if (!Postmaster.awaitSharedMemoryReleased(dir, ORPHANS_EXIT)) {
      log.warn(
          "processes of a killed PostgreSQL still hold the shared memory of {}; starting anyway",
          dir);
    }
    Path pid = dir.resolve("postmaster.pid");
    if (Files.exists(pid)
        && Postmaster.running(dir).isEmpty()
        && Postmaster.byCommandLine(dir).isEmpty()) {
      log.info("removing the stale postmaster.pid of a killed PostgreSQL in {}", dir);
      Files.deleteIfExists(pid);
    }
  }

  /** PostgreSQL's own log (all its output), beside the data folder in the home. */
  static Path logFile(Path dir) {
    return dir.resolveSibling(dir.getFileName() + ".log");
  }

  /** The last lines of PostgreSQL's log, as a suffix for an error message ("" when none). */
  private static String logTail(Path dir) {
    try {
      List<String> lines = Files.readAllLines(logFile(dir));
      return "; the end of "
          + logFile(dir)
          + ":\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 12), lines.size()));
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static EmbeddedPostgres launch(Path dir, String password, int port, boolean fresh)
      throws IOException {
    ProcessBuilder.Redirect log = ProcessBuilder.Redirect.appendTo(logFile(dir).toFile());
    EmbeddedPostgres.Builder b =
        EmbeddedPostgres.builder()
            .setOutputRedirector(log)
            .setErrorRedirector(log)
            .setDataDirectory(dir)
            .setCleanDataDirectory(false)
            .setRegisterShutdownHook(false) // the tracker stops it; restarts would pile up hooks
            .setConnectConfig("password", password)
            // zonky passes -F (fsync off) before these -c options: the later setting wins
            .setServerConfig("fsync", "on")
            .setServerConfig("synchronous_commit", "on")
            .setServerConfig("full_page_writes", "on")
            .setServerConfig("password_encryption", "scram-sha-256");
    if (port > 0) {
      b.setPort(port);
    }
    Path pwFile = null;
    if (fresh) {
      // zonky runs initdb with -A trust; these options come after it, and initdb's last wins
      pwFile = Files.createTempFile(dir.getParent(), "initdb-pw", "");
      Files.writeString(pwFile, password + "\n");
      b.setLocaleConfig("auth", "scram-sha-256").setLocaleConfig("pwfile", pwFile.toString());
    }
    try {
      return b.start();
    } finally {
      if (pwFile != null) {
        Files.deleteIfExists(pwFile);
      }
    }
  }

  /**
   * A data folder of an earlier version trusts every local connection: give the superuser the
   * password, replace pg_hba.conf and reload. Idempotent: a secured folder is left as it is.
   */
  private static void secure(Path dir, int port, String password) throws IOException {
    Path hba = dir.resolve("pg_hba.conf");
    if (Files.readString(hba).equals(HBA)) {
      return;
    }
    Properties p = new Properties();
    p.setProperty("user", USER);
    p.setProperty("password", password);
    try (Connection c = DriverManager.getConnection(jdbcUrl(port), p);
        Statement s = c.createStatement()) {
      // letters and digits only (DbPassword.read checks), so nothing here needs quoting
      s.execute("ALTER ROLE " + USER + " PASSWORD '" + password + "'");
      Files.writeString(hba, HBA);
      s.execute("SELECT pg_reload_conf()");
    } catch (SQLException e) {
      throw new IOException(
          "could not set the password of the PostgreSQL in "
              + dir
              + " (does "
              + DbPassword.fileFor(dir)
              + " belong to this data folder?)",
          e);
    }
    log.info("secured the PostgreSQL of {}: password auth for every connection", dir);
  }

  private void watch() {
    while (!closed) {
      try {
        Thread.sleep(WATCH_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      if (closed || Postmaster.running(dataDir).isPresent()) {
        continue;
      }
      log.warn("the embedded PostgreSQL of {} died; restarting it on port {}", dataDir, port);
      restart();
    }
  }

  private synchronized void restart() {
    try {
      pg.close(); // releases zonky's lock; its pg_ctl stop finds nothing to stop
    } catch (IOException | RuntimeException e) {
      log.debug("closing the dead PostgreSQL", e);
    }
    while (!closed) {
      try {
        clearTheDead(dataDir);
        pg = launch(dataDir, password, port, false);
        log.info("the embedded PostgreSQL of {} is back on port {}", dataDir, port);
        return;
      } catch (IOException | RuntimeException e) {
        // e.g. the dead postmaster's backends still hold its shared memory for a moment
        log.warn("restarting PostgreSQL failed ({}); retrying", e.getMessage());
        try {
          Thread.sleep(1_000);
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  @Override
  public void close() throws IOException {
    closed = true; // ends a restart loop too, before we wait for its lock
    watchdog.interrupt();
    synchronized (this) {
      pg.close();
    }
  }
}
