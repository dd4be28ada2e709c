package io.liandan.ui;

import io.liandan.app.ShippedJar;
import io.liandan.tracker.TrackerConfig;
import io.liandan.tracker.TrackerServer;
import io.liandan.tracker.embedded.DbPassword;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A throwaway tracker for browser tests, screenshots and the page benchmark, as users get it: the
 * pages and the API come from {@code liandan.jar server} (the shaded jar, so a script the jar
 * leaves out fails here), in front of a database that this JVM owns and fills. The in-process
 * {@link TrackerServer} holds the embedded PostgreSQL (a temporary folder) and the {@link Seed}
 * writes through its services, which also lets a test back-date runs; the jar's server reaches the
 * same database by {@code --db-url}. {@link #close()} stops both and deletes the folder.
 *
 * @param tracker the database's owner, for seeding; its own HTTP port is not what the browser opens
 * @param jar the jar's server, listening on {@code port}
 * @param dir the temporary folder of the database and the jar's home
 */
public record UiServer(TrackerServer tracker, Process jar, int port, Path dir)
    implements AutoCloseable {
  private static final Pattern LISTENING =
      Pattern.compile("Liandan tracker on http://[^:]+:(\\d+)");

  /** Writes runs, metrics and samples into the database the pages show. */
  public Seed seed() {
    return new Seed(tracker);
  }

  public static UiServer start() {
    return start(false);
  }

  /** With {@code readsNeedToken}, GET requests need a token too (LIANDAN_READS_NEED_TOKEN). */
  public static UiServer start(boolean readsNeedToken) {
    Path dir = null;
    TrackerServer tracker = null;
    try {
      dir = Files.createTempDirectory("liandan-ui-");
      tracker =
          TrackerServer.start(TrackerConfig.defaults().withPort(0).withDataDir(dir.resolve("pg")));
      String url = tracker.db().connectionResult(c -> c.getMetaData().getURL());
      String password = DbPassword.read(DbPassword.fileFor(dir.resolve("pg")));
      ProcessBuilder pb =
          new ProcessBuilder(
                  ShippedJar.command(
                      "1g",
                      "server",
                      "--db-url",
                      url,
                      "--db-user",
                      "postgres",
                      "--db-password",
                      password,
                      "--port",
                      "0"))
              .redirectErrorStream(true);
      pb.environment().put("LIANDAN_READS_NEED_TOKEN", String.valueOf(readsNeedToken));
      pb.environment().put("LIANDAN_HOME", dir.resolve("home").toString());
      Process jar = pb.start();
      return new UiServer(tracker, jar, awaitPort(jar), dir);
    } catch (IOException | RuntimeException e) {
      if (tracker != null) tracker.close();
      if (dir != null) deleteTree(dir);
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
  }

  /**
   * The port the jar's server prints once it listens. A daemon thread reads its output to the end
   * (a full pipe would stall the server); if it exits or stays silent, the error carries the
   * output.
   */
  private static int awaitPort(Process jar) {
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Integer> port = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(jar.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                  seen.add(line);
                  Matcher m = LISTENING.matcher(line);
                  if (m.find()) port.complete(Integer.parseInt(m.group(1)));
                }
              } catch (IOException e) {
                // the process is gone: the port never comes, which the wait below reports
              }
              port.completeExceptionally(new IllegalStateException("exited"));
            },
            "liandan-jar-output");
    reader.setDaemon(true);
    reader.start();
    try {
      return port.get(60, TimeUnit.SECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      jar.destroyForcibly();
      throw new IllegalStateException(
          "liandan.jar server did not start in 60 s:\n" + String.join("\n", seen), e);
    }
  }

  /** The page at {@code path} ("runs.html?project=x") on the jar's server (127.0.0.1). */
  public String url(String path) {
    return "http://127.0.0.1:" + port + "/" + path;
  }

  @Override
  public void close() {
    jar.destroy();
    try {
      if (!jar.waitFor(20, TimeUnit.SECONDS)) jar.destroyForcibly().waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    tracker.close();
    deleteTree(dir);
  }

  /** Deletes a temporary folder and everything in it (a database, a browser profile). */
  static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
