package io.liandan.tracker;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.javalin.Javalin;
import io.liandan.tracker.auth.TokenService;
import io.liandan.tracker.web.HttpSafety;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
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

  private final EmbeddedPostgres embedded;
  private final HikariDataSource dataSource;
  private final DSLContext db;
  private final TrackerApp.Deps deps;
  private final Javalin app;

  private TrackerServer(
      EmbeddedPostgres embedded,
      HikariDataSource dataSource,
      DSLContext db,
      TrackerApp.Deps deps,
      Javalin app) {
    this.embedded = embedded;
    this.dataSource = dataSource;
    this.db = db;
    this.deps = deps;
    this.app = app;
  }

  /** Database up, schema migrated, HTTP listening. */
  public static TrackerServer start(TrackerConfig config) throws IOException {
    EmbeddedPostgres embedded = null;
    HikariDataSource ds = null;
    try {
      String url = config.jdbcUrl();
      String user = config.dbUser();
      String password = config.dbPassword();
      if (url == null) {
        embedded = startEmbedded(config);
        url = embedded.getJdbcUrl("postgres", "postgres");
        user = "postgres";
      }
      ds = pool(url, user, password, config.poolSize());
      migrate(ds);
      DSLContext db = dsl(ds);
      TrackerApp.Deps deps = TrackerApp.Deps.of(db, config.crashAfter());
      Javalin app =
          TrackerApp.create(
                  deps,
                  config.readsNeedToken(),
                  HttpSafety.forServer(config.host(), config.allowedHosts()))
              .start(config.host(), config.port());
      log.info("tracker on http://{}:{} (database {})", config.host(), app.port(), url);
      return new TrackerServer(embedded, ds, db, deps, app);
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

  private static EmbeddedPostgres startEmbedded(TrackerConfig config) throws IOException {
    Files.createDirectories(config.dataDir());
    return EmbeddedPostgres.builder()
        .setDataDirectory(config.dataDir())
        .setCleanDataDirectory(false)
        .start();
  }

  private static HikariDataSource pool(String url, String user, String password, int size) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(url);
    if (user != null) {
      hc.setUsername(user);
    }
    if (password != null) {
      hc.setPassword(password);
    }
    hc.setMaximumPoolSize(size);
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
    return db;
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
    dataSource.close();
    if (embedded != null) {
      try {
        embedded.close();
      } catch (IOException e) {
        log.warn("stopping the embedded PostgreSQL failed", e);
      }
    }
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("org.jooq.no-logo", "true");
    System.setProperty("org.jooq.no-tips", "true");
    TrackerConfig config = TrackerConfig.fromEnvironment(System.getenv());
    if (args.length == 3 && args[0].equals("token") && args[1].equals("create")) {
      try (TrackerServer server = start(config.withPort(0))) {
        TokenService.CreatedToken t = server.tokens().create(args[2]);
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
