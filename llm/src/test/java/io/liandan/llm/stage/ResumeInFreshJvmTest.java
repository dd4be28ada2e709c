package io.liandan.llm.stage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.llm.model.CheckpointWriter;
import io.liandan.llm.model.DecoderConfig;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.safetensors.SafetensorsFile;
import io.liandan.spec.ModelSource;
import io.liandan.spec.TokenizeSpec;
import io.liandan.spec.TrainRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill and resume: a LoRA SFT run (with dropout, so randomness must repeat) in a child JVM is sent
 * SIGKILL while it computes step 6 — its newest checkpoint is step 4, inside a logging window — and
 * continued by another fresh JVM; it ends with the same adapter, bit for bit, and logs the same
 * curve, every value equal, as a run that never stopped.
 */
class ResumeInFreshJvmTest {
  @TempDir Path tmp;

  static final String ARGS =
      "{'learning_rate':5e-3,'max_steps':9,'per_device_train_batch_size':4,'logging_steps':3,"
          + "'save_steps':2,'save_total_limit':2,'lora_dropout':0.1,'gradient_accumulation_steps':2}";

  @Test
  void resumedRunEqualsUninterruptedRun() throws Exception {
    StageFixture fx = new StageFixture(tmp);
    Path data = fx.tokenized("sft", TokenizeSpec.sft(96, false, 0.1, 1));
    Path base = tmp.resolve("base"); // LoRA needs weights: a random init, saved
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.random(DecoderConfig.load(fx.model), 1, m)) {
      CheckpointWriter.save(w, base, "float32", fx.model);
    }

    RecordingListener straight = new RecordingListener();
    new TrainStage().run(request(base, data, "straight"), straight);

    TrainRequest req = request(base, data, "resumed");
    Path requestFile = tmp.resolve("request.json"), metrics = tmp.resolve("metrics.jsonl");
    Path progress = tmp.resolve("progress.txt");
    new ObjectMapper().writeValue(requestFile.toFile(), req);

    // the first worker: SIGKILLed as soon as it reports step 5, i.e. while it computes step 6
    Process first = child(requestFile, metrics, progress, "first.log");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!steps(progress).contains("5")) {
      assertTrue(first.isAlive(), "the first child died early: " + log("first.log"));
      assertTrue(System.nanoTime() < deadline, "no step 5 within 120 s: " + log("first.log"));
      Thread.sleep(1);
    }
    first.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no finally blocks
    assertTrue(first.waitFor(30, TimeUnit.SECONDS));
    assertEquals(128 + 9, first.exitValue(), "killed by SIGKILL");
    assertEquals(List.of("1", "2", "3", "4", "5"), steps(progress), "killed before step 6 ended");
    Path checkpoints = Path.of(req.out(), TrainStage.CHECKPOINTS);
    try (var listed = Files.list(checkpoints)) {
      assertEquals(
          List.of("checkpoint-2", "checkpoint-4"),
          listed.map(p -> p.getFileName().toString()).sorted().toList());
    }

    Process second = child(requestFile, metrics, null, "second.log");
    assertTrue(second.waitFor(120, TimeUnit.SECONDS), "second child JVM finished");
    assertEquals(0, second.exitValue(), log("second.log"));

    TrainResult result =
        new ObjectMapper()
            .readValue(Path.of(req.out(), TrainResult.FILE).toFile(), TrainResult.class);
    assertEquals(4, result.resumedFromStep());
    assertAdaptersEqual(Path.of(straightOut(), "adapter"), Path.of(req.out(), "adapter"));

    // the logged curve: step 3 from the killed JVM, 6 and 9 from the second, each value equal to
    // the straight run's (Jackson writes a double's shortest exact form: nothing is lost in JSON)
    TreeMap<Long, Map<String, Double>> resumed = new TreeMap<>();
    for (String line : Files.readAllLines(metrics)) {
      JsonNode n = new ObjectMapper().readTree(line);
      Map<String, Double> v = new TreeMap<>();
      n.get("values").fields().forEachRemaining(e -> v.put(e.getKey(), e.getValue().asDouble()));
      resumed.computeIfAbsent(n.get("step").asLong(), s -> new TreeMap<>()).putAll(v);
    }
    assertEquals(straight.lines.keySet(), resumed.keySet());
    for (long step : straight.lines.keySet()) {
      Map<String, Double> want = new TreeMap<>(straight.lines.get(step));
      // wall-clock and the process's own state (speed, rss, cpu) are not results of training
      want.keySet().removeIf(k -> k.endsWith("_per_second") || k.startsWith("system/"));
      Map<String, Double> got = new TreeMap<>(resumed.get(step));
      got.keySet().retainAll(want.keySet());
      assertEquals(want, got, "logged values at step " + step);
    }
  }

  private Process child(Path request, Path metrics, Path progress, String log) throws Exception {
    List<String> cmd =
        new java.util.ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty(
                    "surefire.test.class.path", System.getProperty("java.class.path")),
                ResumeMain.class.getName(),
                request.toString(),
                metrics.toString()));
    if (progress != null) cmd.add(progress.toString());
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(tmp.resolve(log).toFile())
        .start();
  }

  private static List<String> steps(Path progress) throws java.io.IOException {
    return Files.exists(progress) ? Files.readAllLines(progress) : List.of();
  }

  private String log(String name) throws java.io.IOException {
    return Files.readString(tmp.resolve(name));
  }

  private String straightOut() {
    return tmp.resolve("out-straight").toString();
  }

  private TrainRequest request(Path base, Path data, String name) {
    return new TrainRequest(
        "sft",
        ModelSource.of(base),
        data.toString(),
        StageFixture.args(ARGS),
        List.of(),
        false,
        tmp.resolve("out-" + name).toString(),
        "cpu");
  }

  private static void assertAdaptersEqual(Path a, Path b) {
    try (SafetensorsFile x = SafetensorsFile.open(a.resolve("adapter_model.safetensors"));
        SafetensorsFile y = SafetensorsFile.open(b.resolve("adapter_model.safetensors"))) {
      assertEquals(x.tensors().keySet(), y.tensors().keySet());
      for (String name : x.tensors().keySet())
        assertArrayEquals(x.readFloat32(name), y.readFloat32(name), name);
    }
  }
}
