package io.liandan.tracker.client;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real PostgreSQL for the client's tests (zonky), as the tracker's own tests run it: one shared
 * instance per test JVM with a fresh database per test, or a private instance on a data folder and
 * port of its own that a test can stop and start again.
 */
final class TestDatabase implements AutoCloseable {
  private static final AtomicInteger databases = new AtomicInteger();
  private static EmbeddedPostgres shared;

  private final Path dataDir;
  private final int port;
  private EmbeddedPostgres pg;

  private TestDatabase(Path dataDir, int port) {
    this.dataDir = dataDir;
    this.port = port;
  }

  /** JDBC URL of a new, empty database on the JVM's shared instance. */
  static synchronized String newDatabase() {
    try {
      if (shared == null) {
        shared = EmbeddedPostgres.builder().start();
      }
      String name = "c" + databases.incrementAndGet();
      try (Connection c = shared.getPostgresDatabase().getConnection();
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + name);
      }
      return shared.getJdbcUrl("postgres", name);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A PostgreSQL of its own, on {@code dataDir} and a fixed port, so that it can restart. */
  static TestDatabase own(Path dataDir) {
    TestDatabase db = new TestDatabase(dataDir, TestTracker.freePort());
    db.start();
    return db;
  }

  void start() {
    try {
      pg =
          EmbeddedPostgres.builder()
              .setDataDirectory(dataDir)
              .setCleanDataDirectory(false)
              .setPort(port)
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void stop() {
    try {
      pg.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String jdbcUrl() {
    return "jdbc:postgresql://localhost:" + port + "/postgres?user=postgres";
  }

  @Override
  public void close() {
    stop();
  }
}
