package io.liandan.tracker;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.javalin.Javalin;
import io.liandan.tracker.auth.TokenService;
import io.liandan.tracker.embedded.EmbeddedDatabase;
import io.liandan.tracker.web.HttpSafety;
import java.io.IOException;
import java.util.Arrays;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running tracker: PostgreSQL (embedded by default, or any by JDBC URL), migrated by Flyway on
 * start, pooled by HikariCP, served by {@link TrackerApp}. {@link #close()} stops all of it.
 *
 * <pre>
 * java -cp … io.liandan.tracker.TrackerServer                  # serve (env: see TrackerConfig)
 * java -cp … io.liandan.tracker.TrackerServer token create NAME # print a new API token once
 * </pre>
 */
public final class TrackerServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TrackerServer.class);

  static final long CONNECTION_TIMEOUT_MILLIS = 2_000;
  private final Database database;
  private final TrackerApp.Deps deps;
  private final Javalin app;

  /**
   * The database side of a running tracker: the embedded PostgreSQL (null when the tracker uses a
   * database by JDBC URL), the pool on it, and jOOQ over the pool.
   */
  private record Database(EmbeddedDatabase embedded, HikariDataSource pool, DSLContext db) {
    /** The pool, then the embedded PostgreSQL. */
    void close() throws IOException {
      pool.close();
      if (embedded != null) {
        embedded.close();
      }
    }
  }

  private TrackerServer(Database database, TrackerApp.Deps deps, Javalin app) {
    this.database = database;
    this.deps = deps;
    this.app = app;
  }

  /** Database up, schema migrated, HTTP listening. */
  public static TrackerServer start(TrackerConfig config) throws IOException {
    EmbeddedDatabase embedded = null;
    HikariDataSource ds = null;
    try {
      var at =
          new EmbeddedDatabase.Endpoint(config.jdbcUrl(), config.dbUser(), config.dbPassword());
      if (at.jdbcUrl() == null) {
        embedded = EmbeddedDatabase.start(config.dataDir());
        at = embedded.endpoint();
      }
      ds = pool(at, config.poolSize());
      migrate(ds);
      DSLContext db = dsl(ds);
      TrackerApp.Deps deps = TrackerApp.Deps.of(db, config.crashAfter());
      Javalin app =
          TrackerApp.create(
                  deps,
                  config.readsNeedToken(),
                  HttpSafety.forServer(config.host(), config.allowedHosts()))
              .start(config.host(), config.port());
      log.info("tracker on http://{}:{} (database {})", config.host(), app.port(), at.jdbcUrl());
      Warmup.inBackground(deps, db, "http://localhost:" + app.port());
      return new TrackerServer(new Database(embedded, ds, db), deps, app);
    } catch (RuntimeException | IOException e) {
      if (ds != null) {
        ds.close();
      }
      if (embedded != null) {
        embedded.close();
      }
      throw e;
    }
  }

  /** Flyway over the migrations module's {@code classpath:db/migration}. */
  public static void migrate(DataSource ds) {
    Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
  }

  public static DSLContext dsl(DataSource ds) {
    return DSL.using(ds, SQLDialect.POSTGRES, new Settings().withExecuteLogging(false));
  }

  private static HikariDataSource pool(EmbeddedDatabase.Endpoint at, int size) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(at.jdbcUrl());
    if (at.user() != null) {
      hc.setUsername(at.user());
    }
    if (at.password() != null) {
      hc.setPassword(at.password());
    }
    hc.setMaximumPoolSize(size);
    // while the database is unreachable a request waits at most this long for a connection and
    // then answers 503 (TrackerApp), instead of Hikari's default 30 s and a 500
    hc.setConnectionTimeout(CONNECTION_TIMEOUT_MILLIS);
    hc.setPoolName("liandan-tracker");
    return new HikariDataSource(hc);
  }

  public int port() {
    return app.port();
  }

  public String url() {
    return "http://localhost:" + app.port();
  }

  public DSLContext db() {
    return database.db();
  }

  public TokenService tokens() {
    return deps.tokens();
  }

  public TrackerApp.Deps services() {
    return deps;
  }

  @Override
  public void close() {
    app.stop();
    try {
      database.close();
    } catch (IOException e) {
      log.warn("stopping the embedded PostgreSQL failed", e);
    }
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("org.jooq.no-logo", "true");
    System.setProperty("org.jooq.no-tips", "true");
    TrackerConfig config = TrackerConfig.fromEnvironment(System.getenv());
    if (args.length == 3 && args[0].equals("token") && args[1].equals("create")) {
      try (AdminDatabase admin = AdminDatabase.open(config)) {
        TokenService.CreatedToken t = new TokenService(admin.db()).create(args[2]);
        System.out.println(t.token());
        System.err.println(
            "token '" + t.name() + "' (id " + t.id() + "): shown once, stored hashed");
      }
      return;
    }
    if (args.length > 0) {
      System.err.println(
          "unknown arguments " + Arrays.toString(args) + "; usage: [token create NAME]");
      System.exit(2);
    }
    TrackerServer server = start(config);
    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "tracker-shutdown"));
    System.out.println("Liandan tracker on " + server.url());
  }
}
