package io.liandan.tracker;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.liandan.tracker.embedded.EmbeddedDatabase;
import java.io.IOException;
import java.util.Optional;
import org.jooq.DSLContext;

/**
 * The tracker's database for a command-line tool such as {@code liandan token}: the configured
 * PostgreSQL; else the embedded one a running server (of the same home) already serves, reached
 * with the home's password on its port, so the command works while the server runs; else an
 * embedded one started for the command and stopped by {@link #close()}. Migrated either way.
 */
public final class AdminDatabase implements AutoCloseable {
  private final EmbeddedDatabase started;
  private final HikariDataSource ds;
  private final DSLContext db;

  private AdminDatabase(EmbeddedDatabase started, HikariDataSource ds) {
    this.started = started;
    this.ds = ds;
    this.db = TrackerServer.dsl(ds);
  }

  public static AdminDatabase open(TrackerConfig config) throws IOException {
    EmbeddedDatabase started = null;
    EmbeddedDatabase.Endpoint at;
    if (config.jdbcUrl() != null) {
      at = new EmbeddedDatabase.Endpoint(config.jdbcUrl(), config.dbUser(), config.dbPassword());
    } else {
      Optional<EmbeddedDatabase.Endpoint> running = EmbeddedDatabase.running(config.dataDir());
      if (running.isPresent()) {
        at = running.get();
      } else {
        started = EmbeddedDatabase.start(config.dataDir());
        at = started.endpoint();
      }
    }
    try {
      HikariConfig hc = new HikariConfig();
      hc.setJdbcUrl(at.jdbcUrl());
      if (at.user() != null) hc.setUsername(at.user());
      if (at.password() != null) hc.setPassword(at.password());
      hc.setMaximumPoolSize(2);
      hc.setPoolName("liandan-admin");
      HikariDataSource ds = new HikariDataSource(hc);
      TrackerServer.migrate(ds);
      return new AdminDatabase(started, ds);
    } catch (RuntimeException e) {
      if (started != null) started.close();
      throw e;
    }
  }

  public DSLContext db() {
    return db;
  }

  @Override
  public void close() throws IOException {
    ds.close();
    if (started != null) {
      started.close();
    }
  }
}
