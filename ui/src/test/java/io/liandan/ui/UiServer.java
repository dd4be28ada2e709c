package io.liandan.ui;

import io.liandan.tracker.TrackerConfig;
import io.liandan.tracker.TrackerServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A throwaway tracker for browser tests, screenshots and the page benchmark: the real {@link
 * TrackerServer} (embedded PostgreSQL in a temporary folder, a free port) with the UI on its
 * classpath, and a {@link Seed} to fill it. {@link #close()} stops it and deletes the folder.
 */
public final class UiServer implements AutoCloseable {
  public final TrackerServer tracker;
  public final Seed seed;
  private final Path dir;

  private UiServer(TrackerServer tracker, Path dir) {
    this.tracker = tracker;
    this.dir = dir;
    this.seed = new Seed(tracker);
  }

  public static UiServer start() {
    return start(false);
  }

  /** With {@code readsNeedToken}, GET requests need a token too (LIANDAN_READS_NEED_TOKEN). */
  public static UiServer start(boolean readsNeedToken) {
    try {
      Path dir = Files.createTempDirectory("liandan-ui-");
      TrackerConfig config =
          TrackerConfig.defaults()
              .withPort(0)
              .withDataDir(dir.resolve("pg"))
              .withReadsNeedToken(readsNeedToken);
      return new UiServer(TrackerServer.start(config), dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The page at {@code path} ("runs.html?project=x"); 127.0.0.1, where the server listens. */
  public String url(String path) {
    return "http://127.0.0.1:" + tracker.port() + "/" + path;
  }

  @Override
  public void close() {
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
