package io.liandan.llm.stage;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.spec.TrainRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * Runs one training stage in its own JVM, as a worker would: {@code REQUEST.json METRICS.jsonl
 * [PROGRESS]}. Each metrics line is appended as {"step": n, "values": {...}}; with PROGRESS, each
 * finished step's number is appended there (one line each), so that a test can SIGKILL this JVM
 * while it computes a chosen step.
 */
public final class ResumeMain {
  public static void main(String[] args) throws IOException {
    ObjectMapper json = new ObjectMapper();
    TrainRequest req = json.readValue(Path.of(args[0]).toFile(), TrainRequest.class);
    Path metrics = Path.of(args[1]);
    Path progress = args.length > 2 ? Path.of(args[2]) : null;
    new TrainStage()
        .run(
            req,
            new StageListener() {
              @Override
              public void metrics(long step, Map<String, Double> values) {
                try {
                  Files.write(
                      metrics,
                      List.of(json.writeValueAsString(Map.of("step", step, "values", values))),
                      StandardOpenOption.CREATE,
                      StandardOpenOption.APPEND);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              }

              @Override
              public void progress(long step, long total, String lastCheckpoint) {
                if (progress == null) return;
                try {
                  Files.write(
                      progress,
                      List.of(Long.toString(step)),
                      StandardOpenOption.CREATE,
                      StandardOpenOption.APPEND);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              }
            });
  }
}
