package io.liandan.app;

import io.liandan.tracker.TrackerConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the tracker's database is: embedded by default, any PostgreSQL with --db-url. */
final class TrackerOptions {
  @Option(
      names = "--db-url",
      description = "JDBC URL of a PostgreSQL (default: embedded, data in ~/.liandan/postgres)")
  String dbUrl;

  @Option(names = "--db-user")
  String dbUser;

  @Option(names = "--db-password")
  String dbPassword;

  @Option(names = "--home", description = "folder for the embedded database (default: ~/.liandan)")
  Path home;

  /** The Liandan home: --home, else LIANDAN_HOME, else ~/.liandan. */
  Path home() {
    return HomeOptions.resolve(home);
  }

  /** LIANDAN_* environment first, then these options on top. */
  TrackerConfig config() {
    TrackerConfig c = TrackerConfig.fromEnvironment(System.getenv());
    if (home != null) c = c.withDataDir(home.resolve("postgres"));
    if (dbUrl != null) c = c.withDatabase(dbUrl, dbUser, dbPassword);
    return c;
  }
}
