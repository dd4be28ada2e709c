package io.liandan.tracker;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real PostgreSQL (zonky, ~1–3 s to start) per test JVM; every test class gets a database of
 * its own, created empty, so each class also migrates from nothing.
 */
public final class TestPostgres {
  private static final AtomicInteger databases = new AtomicInteger();
  private static EmbeddedPostgres pg;

  private TestPostgres() {}

  public static synchronized EmbeddedPostgres instance() {
    if (pg == null) {
      try {
        pg = EmbeddedPostgres.builder().start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return pg;
  }

  /** JDBC URL of a new, empty database. */
  public static String newDatabase() {
    String name = "t" + databases.incrementAndGet();
    try (Connection c = instance().getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return instance().getJdbcUrl("postgres", name);
  }
}
