package io.liandan.tracker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * How a tracker server runs. With no {@code jdbcUrl} it starts an embedded PostgreSQL whose data
 * lives in {@code dataDir} (kept across restarts); with one it uses that database.
 *
 * @param host interface to listen on (127.0.0.1 by default; 0.0.0.0 to serve a network)
 * @param port HTTP port; 0 picks a free one
 * @param readsNeedToken whether GET requests need a token too (writes always do)
 * @param crashAfter a running run without a heartbeat for this long shows as crashed
 * @param allowedHosts names the Host header may carry (any port); null or empty: localhost,
 *     127.0.0.1 and [::1] when bound to loopback, any otherwise; "*": any
 */
public record TrackerConfig(
    String host,
    int port,
    String jdbcUrl,
    String dbUser,
    String dbPassword,
    Path dataDir,
    boolean readsNeedToken,
    Duration crashAfter,
    int poolSize,
    List<String> allowedHosts) {

  public static final int DEFAULT_PORT = 7878;

  public static TrackerConfig defaults() {
    return new TrackerConfig(
        "127.0.0.1",
        DEFAULT_PORT,
        null,
        null,
        null,
        Path.of(System.getProperty("user.home"), ".liandan", "postgres"),
        false,
        Duration.ofMinutes(5),
        16,
        null);
  }

  /**
   * Defaults overridden by LIANDAN_TRACKER_HOST, LIANDAN_TRACKER_PORT, LIANDAN_DB_URL,
   * LIANDAN_DB_USER, LIANDAN_DB_PASSWORD, LIANDAN_HOME (data in $LIANDAN_HOME/postgres),
   * LIANDAN_READS_NEED_TOKEN (true/false), LIANDAN_CRASH_AFTER_SECONDS, LIANDAN_ALLOWED_HOSTS
   * (comma-separated host names; "*" for any).
   */
  public static TrackerConfig fromEnvironment(Map<String, String> env) {
    TrackerConfig d = defaults();
    String home = env.get("LIANDAN_HOME");
    return new TrackerConfig(
        env.getOrDefault("LIANDAN_TRACKER_HOST", d.host()),
        Integer.parseInt(env.getOrDefault("LIANDAN_TRACKER_PORT", String.valueOf(d.port()))),
        env.get("LIANDAN_DB_URL"),
        env.get("LIANDAN_DB_USER"),
        env.get("LIANDAN_DB_PASSWORD"),
        home == null ? d.dataDir() : Path.of(home, "postgres"),
        Boolean.parseBoolean(env.getOrDefault("LIANDAN_READS_NEED_TOKEN", "false")),
        env.containsKey("LIANDAN_CRASH_AFTER_SECONDS")
            ? Duration.ofSeconds(Long.parseLong(env.get("LIANDAN_CRASH_AFTER_SECONDS")))
            : d.crashAfter(),
        d.poolSize(),
        env.containsKey("LIANDAN_ALLOWED_HOSTS")
            ? Arrays.stream(env.get("LIANDAN_ALLOWED_HOSTS").split(","))
                .map(String::strip)
                .filter(h -> !h.isEmpty())
                .toList()
            : null);
  }

  public TrackerConfig withPort(int port) {
    return with(b -> b.port = port);
  }

  public TrackerConfig withDatabase(String url, String user, String password) {
    return with(
        b -> {
          b.jdbcUrl = url;
          b.dbUser = user;
          b.dbPassword = password;
        });
  }

  public TrackerConfig withDataDir(Path dir) {
    return with(b -> b.dataDir = dir);
  }

  public TrackerConfig withReadsNeedToken(boolean need) {
    return with(b -> b.readsNeedToken = need);
  }

  public TrackerConfig withAllowedHosts(List<String> hosts) {
    return with(b -> b.allowedHosts = hosts);
  }

  public TrackerConfig withCrashAfter(Duration d) {
    return with(b -> b.crashAfter = d);
  }

  /** A copy with {@code change} applied: each wither names only what it changes. */
  private TrackerConfig with(Consumer<Draft> change) {
    Draft d = new Draft(this);
    change.accept(d);
    return d.build();
  }

  /** The record's components, mutable for the moment a wither edits them. */
  private static final class Draft {
    String host;
    int port;
    String jdbcUrl;
    String dbUser;
    String dbPassword;
    Path dataDir;
    boolean readsNeedToken;
    Duration crashAfter;
    int poolSize;
    List<String> allowedHosts;

    Draft(TrackerConfig c) {
      host = c.host;
      port = c.port;
      jdbcUrl = c.jdbcUrl;
      dbUser = c.dbUser;
      dbPassword = c.dbPassword;
      dataDir = c.dataDir;
      readsNeedToken = c.readsNeedToken;
      crashAfter = c.crashAfter;
      poolSize = c.poolSize;
      allowedHosts = c.allowedHosts;
    }

    TrackerConfig build() {
      return new TrackerConfig(
          host,
          port,
          jdbcUrl,
          dbUser,
          dbPassword,
          dataDir,
          readsNeedToken,
          crashAfter,
          poolSize,
          allowedHosts);
    }
  }
}
