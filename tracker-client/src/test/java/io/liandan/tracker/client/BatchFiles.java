package io.liandan.tracker.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Counts the batch files a client's buffer holds on disk. */
final class BatchFiles {
  private BatchFiles() {}

  /**
   * The {@code .jsonl} batches under {@code buffer}. A live client writes each batch to a {@code
   * .tmp} name and renames it, so a file the walk listed may be gone when it is looked at: the walk
   * then starts again.
   */
  static long count(Path buffer) throws IOException {
    while (true) {
      try (Stream<Path> s = Files.walk(buffer)) {
        return s.filter(p -> p.toString().endsWith(".jsonl")).count();
      } catch (UncheckedIOException e) {
        if (!(e.getCause() instanceof NoSuchFileException)) throw e;
      }
    }
  }
}
