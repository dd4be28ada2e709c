package io.liandan.tracker.client;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The disk buffer's files. One folder per client process ({@code <bufferDir>/<client>/}, with a
 * {@code lock} the process holds while alive), one folder per run in it with {@code run.json} (the
 * create request and the run id once known) and one file per batch, named by its sequence number:
 * {@code 000000000042.jsonl} (metric points, one per line) or {@code 000000000043.op} (first line
 * {@code METHOD /path}, then the JSON body). Every file is written to a temporary name, fsync'd and
 * renamed, so a crash never leaves half a batch.
 */
final class BufferFiles {
  static final String RUN_FILE = "run.json";
  static final String LOCK_FILE = "lock";
  static final String REJECTED = "rejected";
  private static final Pattern ITEM = Pattern.compile("(\\d{12})\\.(jsonl|op)");

  private BufferFiles() {}

  static Path itemFile(Path runDir, long seq, boolean metrics) {
    return runDir.resolve(String.format("%012d.%s", seq, metrics ? "jsonl" : "op"));
  }

  /** A batch file found in a run folder. */
  record Found(long seq, boolean metrics, Path file) {}

  /** The run folder's batches in sequence order; stray temporary files are deleted. */
  static List<Found> list(Path runDir) throws IOException {
    List<Found> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(runDir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String name = p.getFileName().toString();
        Matcher m = ITEM.matcher(name);
        if (m.matches()) {
          out.add(new Found(Long.parseLong(m.group(1)), m.group(2).equals("jsonl"), p));
        } else if (name.endsWith(".tmp")) {
          Files.deleteIfExists(p);
        }
      }
    }
    out.sort(Comparator.comparingLong(Found::seq));
    return out;
  }

  /** Writes {@code data} durably: temporary file, fsync, atomic rename, fsync of the folder. */
  static void writeDurably(Path file, byte[]... parts) throws IOException {
    writeRenamed(file, parts);
    syncDir(file.getParent());
  }

  /**
   * {@link #writeDurably} but for the folder's fsync, which the caller does once after several
   * files (before it counts on any of them).
   */
  static void writeRenamed(Path file, byte[]... parts) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      for (byte[] part : parts) {
        ByteBuffer buf = ByteBuffer.wrap(part);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
      }
      ch.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  static void syncDir(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      // not every file system lets a folder be fsync'd; the rename is still atomic
    }
  }

  /** Deletes a folder if nothing but {@code keep} files are left in it. */
  static boolean deleteIfOnly(Path dir, String... keep) {
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> left = s.toList();
      for (Path p : left) {
        if (!List.of(keep).contains(p.getFileName().toString())) {
          return false;
        }
      }
      for (Path p : left) {
        Files.deleteIfExists(p);
      }
      Files.deleteIfExists(dir);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
