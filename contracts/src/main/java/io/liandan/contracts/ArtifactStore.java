package io.liandan.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * The stage cache under the Liandan home: {@code artifacts/<kind>-<key>/} per stage output,
 * complete once its {@code stage.json} marker exists (written last, atomically); {@code
 * pipelines/<id>/spec.json} per started pipeline (what {@code liandan resume} re-runs). A folder is
 * worked on under a lock (one per JVM and a file lock across processes), so the children of a sweep
 * that share a stage compute it once.
 */
public final class ArtifactStore {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ConcurrentHashMap<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();

  private final Path home;

  public ArtifactStore(Path home) {
    this.home = home.toAbsolutePath().normalize();
  }

  public Path home() {
    return home;
  }

  public Path dir(String kind, String key) {
    return home.resolve("artifacts").resolve(kind + "-" + key);
  }

  public Path pipelineDir(String pipelineId) {
    return home.resolve("pipelines").resolve(pipelineId.replaceAll("[^A-Za-z0-9._-]", "_"));
  }

  /** The stored spec of a pipeline, or null. */
  public JsonNode spec(String pipelineId) {
    Path f = pipelineDir(pipelineId).resolve("spec.json");
    try {
      return Files.exists(f) ? JSON.readTree(f.toFile()) : null;
    } catch (IOException e) {
      throw new UncheckedIOException(f + ": " + e.getMessage(), e);
    }
  }

  public void saveSpec(String pipelineId, JsonNode spec) {
    write(pipelineDir(pipelineId).resolve("spec.json"), spec);
  }

  /** The stage's result if its folder is complete, else null. */
  public StageResult cached(Path dir) {
    Path marker = dir.resolve(StageResult.MARKER);
    if (!Files.exists(marker)) return null;
    try {
      return JSON.readValue(marker.toFile(), StageResult.class);
    } catch (IOException e) {
      throw new UncheckedIOException(marker + ": " + e.getMessage(), e);
    }
  }

  /** Where a stage folder records the tracker run its work logs to. */
  static final String RUN_KEY_FILE = ".tracker-run.json";

  record RunKey(String key) {}

  /**
   * The tracker run key of the stage worked on in {@code dir}: the one an earlier attempt recorded
   * there, else {@code proposed}, recorded now. A training stage's folder outlives the pipeline
   * that started it — a new pipeline id with the same stage resumes its checkpoints — and so does
   * its run: one curve, each step once, instead of a failed run and a second one holding the rest.
   */
  public String runKey(Path dir, String proposed) {
    Path f = dir.resolve(RUN_KEY_FILE);
    try {
      if (Files.exists(f)) {
        String key = JSON.readValue(f.toFile(), RunKey.class).key();
        if (key != null && !key.isBlank()) return key;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(f + ": " + e.getMessage(), e);
    }
    write(f, new RunKey(proposed));
    return proposed;
  }

  /** Marks {@code dir} complete: the marker is written to a temporary name and renamed. */
  public void commit(Path dir, StageResult result) {
    write(dir.resolve(StageResult.MARKER), result);
  }

  /** Removes a partial output (never one that has its marker). */
  public void clear(Path dir) {
    if (!Files.exists(dir)) return;
    if (cached(dir) != null) throw new IllegalStateException(dir + " is complete; not clearing");
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Holds {@code dir}'s lock until closed; {@code waiting} runs about every second while held
   * elsewhere.
   */
  public AutoCloseable lock(Path dir, Runnable waiting) {
    ReentrantLock local = LOCKS.computeIfAbsent(dir, d -> new ReentrantLock());
    try {
      while (!local.tryLock(1, TimeUnit.SECONDS)) waiting.run();
      Path lockFile = dir.resolveSibling(".locks").resolve(dir.getFileName() + ".lock");
      Files.createDirectories(lockFile.getParent());
      FileChannel ch =
          FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock fl;
      while ((fl = ch.tryLock()) == null) {
        waiting.run();
        Thread.sleep(1000);
      }
      FileLock held = fl;
      return () -> {
        held.release();
        ch.close();
        local.unlock();
      };
    } catch (IOException e) {
      local.unlock();
      throw new UncheckedIOException(dir + ": cannot lock: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (local.isHeldByCurrentThread()) local.unlock();
      throw new IllegalStateException("interrupted while waiting for " + dir, e);
    }
  }

  private static void write(Path file, Object value) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      JSON.writeValue(tmp.toFile(), value);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
  }
}
