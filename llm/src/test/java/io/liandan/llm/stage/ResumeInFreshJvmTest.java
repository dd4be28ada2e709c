package io.liandan.llm.stage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.llm.data.tokenize.TokenizeSpec;
import io.liandan.llm.model.CheckpointWriter;
import io.liandan.llm.model.Qwen2Config;
import io.liandan.llm.model.Qwen2Weights;
import io.liandan.llm.safetensors.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill and resume: a LoRA SFT run (with dropout, so randomness must repeat) stopped after step 5 —
 * its newest checkpoint is step 4, inside a logging window — and continued by a fresh JVM ends with
 * the same adapter, bit for bit, and the same logged curve as a run that never stopped.
 */
class ResumeInFreshJvmTest {
  @TempDir Path tmp;

  static final String ARGS =
      "{'learning_rate':5e-3,'max_steps':9,'per_device_train_batch_size':4,'logging_steps':3,"
          + "'save_steps':2,'save_total_limit':2,'lora_dropout':0.1,'gradient_accumulation_steps':2}";

  /** Thrown from progress() to stop a run the way a killed worker stops: mid-stage. */
  static final class Killed extends RuntimeException {}

  @Test
  void resumedRunEqualsUninterruptedRun() throws Exception {
    StageFixture fx = new StageFixture(tmp);
    Path data = fx.tokenized("sft", TokenizeSpec.sft(96, false, 0.1, 1));
    Path base = tmp.resolve("base"); // LoRA needs weights: a random init, saved
    try (NDManager m = NDManager.newBaseManager();
        Qwen2Weights w = Qwen2Weights.random(Qwen2Config.load(fx.model), 1, m)) {
      CheckpointWriter.save(w, base, "float32", fx.model);
    }

    RecordingListener straight = new RecordingListener();
    new TrainStage().run(request(base, data, "straight"), straight);

    TrainRequest req = request(base, data, "resumed");
    RecordingListener before = new RecordingListener();
    StageListener killAfter5 =
        new StageListener() {
          @Override
          public void metrics(long step, Map<String, Double> values) {
            before.metrics(step, values);
          }

          @Override
          public void progress(long step, long total, String lastCheckpoint) {
            if (step == 5) throw new Killed();
          }
        };
    assertThrows(Killed.class, () -> new TrainStage().run(req, killAfter5));
    Path checkpoints = Path.of(req.out(), TrainStage.CHECKPOINTS);
    assertEquals(
        List.of("checkpoint-2", "checkpoint-4"),
        Files.list(checkpoints).map(p -> p.getFileName().toString()).sorted().toList());

    Path requestFile = tmp.resolve("request.json"), metrics = tmp.resolve("metrics.jsonl");
    new ObjectMapper().writeValue(requestFile.toFile(), req);
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty(
                    "surefire.test.class.path", System.getProperty("java.class.path")),
                ResumeMain.class.getName(),
                requestFile.toString(),
                metrics.toString())
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("child.log").toFile())
            .start();
    assertTrue(child.waitFor(120, TimeUnit.SECONDS), "child JVM finished");
    assertEquals(0, child.exitValue(), Files.readString(tmp.resolve("child.log")));

    TrainResult result =
        new ObjectMapper()
            .readValue(Path.of(req.out(), TrainResult.FILE).toFile(), TrainResult.class);
    assertEquals(4, result.resumedFromStep());
    assertAdaptersEqual(Path.of(straightOut(), "adapter"), Path.of(req.out(), "adapter"));

    // the logged curve: steps 3 before the kill, 6 and 9 after it, as the straight run logged them
    TreeMap<Long, Map<String, Double>> resumed = new TreeMap<>(before.lines);
    for (String line : Files.readAllLines(metrics)) {
      JsonNode n = new ObjectMapper().readTree(line);
      Map<String, Double> v = new TreeMap<>();
      n.get("values").fields().forEachRemaining(e -> v.put(e.getKey(), e.getValue().asDouble()));
      resumed.computeIfAbsent(n.get("step").asLong(), s -> new TreeMap<>()).putAll(v);
    }
    assertEquals(straight.lines.keySet(), resumed.keySet());
    for (long step : straight.lines.keySet()) {
      for (String k :
          List.of("train/loss", "train/grad_norm", "train/learning_rate", "train/epoch")) {
        Double want = straight.lines.get(step).get(k);
        if (want != null)
          assertEquals(want, resumed.get(step).get(k), Math.abs(want) * 1e-6, k + " at " + step);
      }
      Double evalLoss = straight.lines.get(step).get("eval/loss");
      if (evalLoss != null)
        assertEquals(evalLoss, resumed.get(step).get("eval/loss"), evalLoss * 1e-6);
    }
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
