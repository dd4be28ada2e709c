package io.liandan.llm.train;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.llm.model.CheckpointWriter;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.safetensors.SafetensorsFile;
import io.liandan.llm.safetensors.SafetensorsWriter;
import io.liandan.llm.tensor.NoGrad;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Everything a training run needs to continue exactly: the trained tensors, AdamW's moments and
 * step count (the scheduler's step is the same number), and the data position. Randomness needs no
 * state: the trainer seeds it from (seed, step). Saved as {@code checkpoint-STEP/} with {@code
 * trainable.safetensors}, {@code optimizer.safetensors} and {@code state.json}, assembled under a
 * temporary name and renamed, keeping the last {@code saveTotalLimit}.
 */
public final class TrainCheckpoint {
  /**
   * What state.json holds; {@code carry} is the caller's running values that must survive a resume
   * (e.g. sums over an unfinished logging window).
   */
  public record State(long step, long epoch, long index, Map<String, Double> carry) {
    public State {
      carry = carry == null ? Map.of() : Map.copyOf(carry);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PREFIX = "checkpoint-";

  private TrainCheckpoint() {}

  public static Path save(
      Path dir,
      Map<String, NDArray> trainable,
      AdamW optimizer,
      ShardBatches.Position data,
      int saveTotalLimit) {
    return save(dir, trainable, optimizer, data, Map.of(), saveTotalLimit);
  }

  /** As above, with {@code carry} stored in state.json (see {@link State}). */
  public static Path save(
      Path dir,
      Map<String, NDArray> trainable,
      AdamW optimizer,
      ShardBatches.Position data,
      Map<String, Double> carry,
      int saveTotalLimit) {
    long step = optimizer.stepCount();
    Path target = dir.resolve(PREFIX + step), tmp = dir.resolve("." + PREFIX + step + ".tmp");
    try {
      CheckpointWriter.deleteRecursively(tmp);
      Files.createDirectories(tmp);
      write(trainable, tmp.resolve("trainable.safetensors"));
      write(optimizer.state(), tmp.resolve("optimizer.safetensors"));
      JSON.writeValue(
          tmp.resolve("state.json").toFile(), new State(step, data.epoch(), data.index(), carry));
      CheckpointWriter.deleteRecursively(target);
      Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      List<Path> all = list(dir);
      int keep = saveTotalLimit <= 0 ? all.size() : saveTotalLimit;
      for (int i = 0; i < all.size() - keep; i++) CheckpointWriter.deleteRecursively(all.get(i));
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(target + ": cannot save the checkpoint: " + e.getMessage(), e);
    }
  }

  /** The newest complete checkpoint under {@code dir}, if any. */
  public static Optional<Path> latest(Path dir) {
    List<Path> all = list(dir);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** Loads {@code checkpoint} into the tensors and optimizer; returns the data position to seek. */
  public static ShardBatches.Position restore(
      Path checkpoint, Map<String, NDArray> trainable, AdamW optimizer) {
    try (SafetensorsFile t = SafetensorsFile.open(checkpoint.resolve("trainable.safetensors"));
        SafetensorsFile o = SafetensorsFile.open(checkpoint.resolve("optimizer.safetensors"));
        NoGrad ng = new NoGrad()) {
      for (var e : trainable.entrySet()) {
        t.expectShape(e.getKey(), e.getValue().getShape().getShape());
        e.getValue().set(t.readFloat32(e.getKey()));
      }
      State s = state(checkpoint);
      optimizer.restore(s.step(), o::readFloat32);
      return new ShardBatches.Position(s.epoch(), s.index());
    }
  }

  /** The checkpoint's state.json. */
  public static State state(Path checkpoint) {
    try {
      return JSON.readValue(checkpoint.resolve("state.json").toFile(), State.class);
    } catch (IOException e) {
      throw new UncheckedIOException(checkpoint + ": cannot read state.json: " + e.getMessage(), e);
    }
  }

  private static void write(Map<String, NDArray> tensors, Path file) {
    SafetensorsWriter w = new SafetensorsWriter();
    tensors.forEach((name, a) -> w.put(name, a.toFloatArray(), a.getShape().getShape()));
    w.write(file);
  }

  /** Complete checkpoints, oldest first (temporary folders start with a dot and are skipped). */
  private static List<Path> list(Path dir) {
    if (!Files.isDirectory(dir)) return List.of();
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().matches(PREFIX + "\\d+"))
          .sorted(
              Comparator.comparingLong(
                  p -> Long.parseLong(p.getFileName().toString().substring(PREFIX.length()))))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
    }
  }
}
