package io.liandan.llm.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.llm.demo.DemoData;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderConfig;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.oracle.LiveOracle;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.spec.MergeRequest;
import io.liandan.spec.ModelSource;
import io.liandan.spec.TokenizeSpec;
import io.liandan.spec.TrainRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The demo's mini model in each family's shape (examples/families/FAMILY.json, what `liandan demo
 * --family` builds): PT from its config lowers the held-out loss, SFT with LoRA on all linear
 * layers lowers its loss, the merge keeps the family's config, and transformers loads the merged
 * checkpoint as that family and computes Liandan's logits (≤ 1e-4).
 */
class DemoFamiliesTest {
  @TempDir static Path tmp;

  /** Every family, or those of -Dfamilies=a,b (to run one). */
  static Stream<String> families() {
    String only = System.getProperty("families");
    return only == null ? DemoData.FAMILIES.stream() : Stream.of(only.split(","));
  }

  @Test
  void everyFamilyLiandanLoadsHasAnExample() throws Exception {
    TreeSet<String> files = new TreeSet<>();
    try (var list = Files.list(Path.of("../examples/families"))) {
      list.map(p -> p.getFileName().toString().replaceFirst("\\.json$", "")).forEach(files::add);
    }
    assertEquals(new TreeSet<>(DemoData.FAMILIES), files);
  }

  @ParameterizedTest
  @MethodSource("families")
  void ptSftAndMergeTrainTheFamilyAndTransformersReadsTheResult(String family) throws Exception {
    StageFixture fx = new StageFixture(tmp.resolve(family), family);
    assertEquals(family, DecoderConfig.load(fx.model).modelType());
    RecordingListener ptLog = new RecordingListener();
    TrainResult pt =
        new TrainStage()
            .run(
                request(
                    fx,
                    "pt",
                    ModelSource.of(fx.model),
                    fx.tokenized("pt", TokenizeSpec.pt(64, 0.1, 1)),
                    "{'finetuning_type':'full','learning_rate':3e-3,'max_steps':16,"
                        + "'per_device_train_batch_size':8,'logging_steps':4,'eval_steps':16}"),
                ptLog);
    TreeMap<Long, Double> eval = ptLog.series("eval/loss");
    assertTrue(
        eval.lastEntry().getValue() < 0.85 * eval.firstEntry().getValue(),
        family + ": PT's held-out loss falls: " + eval);

    RecordingListener sftLog = new RecordingListener();
    TrainResult sft =
        new TrainStage()
            .run(
                request(
                    fx,
                    "sft",
                    pt.next(),
                    fx.tokenized("sft", TokenizeSpec.sft(96, false, 0.1, 1)),
                    "{'learning_rate':1e-2,'max_steps':12,'per_device_train_batch_size':8,"
                        + "'logging_steps':2,'lora_r':8,'lora_alpha':16}"),
                sftLog);
    TreeMap<Long, Double> loss = sftLog.series("train/loss");
    assertTrue(
        loss.lastEntry().getValue() < loss.firstEntry().getValue(),
        family + ": SFT's loss falls: " + loss);

    MergeResult merged =
        new MergeStage()
            .run(
                new MergeRequest(
                    sft.next(), fx.root.resolve("merged").toString(), "float32", "cpu"));
    Path dir = Path.of(merged.merged());
    assertEquals(DecoderConfig.load(fx.model), DecoderConfig.load(dir), "the family's config kept");

    long[][] ids = {{5, 17, 42, 99, 7, 300, 12, 64, 8, 250, 31, 77}};
    float[] mine;
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(dir, m);
        NoGrad g = new NoGrad()) {
      NDArray logits = new Decoder(w).forward(m.create(ids), null, false);
      mine = logits.toFloatArray();
    }
    JsonNode hf =
        LiveOracle.numerics(
            "logits",
            "logits-" + family,
            "--model",
            dir.toString(),
            "--ids",
            java.util.Arrays.deepToString(ids));
    assertEquals(family, hf.get("model_type").asText(), "transformers reads it as " + family);
    float[] theirs = LiveOracle.floats(hf.get("logits"));
    assertEquals(theirs.length, mine.length);
    double worst = 0;
    for (int i = 0; i < mine.length; i++) worst = Math.max(worst, Math.abs(mine[i] - theirs[i]));
    System.out.printf(
        "demo family %s: PT eval %s, SFT loss %.3f → %.3f, merged logits vs %s max |Δ| %.2e%n",
        family,
        eval.values(),
        loss.firstEntry().getValue(),
        loss.lastEntry().getValue(),
        hf.get("class").asText(),
        worst);
    assertTrue(worst <= 1e-4, family + ": logits max |Δ| " + worst + " against transformers");
  }

  private static TrainRequest request(
      StageFixture fx, String stage, ModelSource model, Path data, String args) {
    return StageFixture.request(stage, model, data, args, fx.root.resolve("out-" + stage));
  }
}
