package io.liandan.app;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The Liandan home: artifact store, stored pipeline specs, the embedded database. */
final class HomeOptions {
  @Option(
      names = "--home",
      description =
          "Liandan home: artifacts, pipeline specs, embedded database (default: ~/.liandan)")
  Path home;

  /** --home, else LIANDAN_HOME, else ~/.liandan. */
  Path home() {
    return resolve(home);
  }

  static Path resolve(Path given) {
    if (given != null) return given;
    String env = System.getenv("LIANDAN_HOME");
    return env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".liandan");
  }
}
