package io.liandan.bench;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.llm.data.Sample;
import io.liandan.llm.data.format.DatasetReader;
import io.liandan.llm.data.template.ChatTemplate;
import io.liandan.llm.data.tokenize.ChatRenderer;
import io.liandan.llm.data.tokenize.TokenizeStage;
import io.liandan.llm.data.tokenizer.TextTokenizer;
import io.liandan.llm.demo.DemoData;
import io.liandan.llm.model.DecoderConfig;
import io.liandan.llm.stage.EvalResult;
import io.liandan.llm.stage.EvalStage;
import io.liandan.llm.stage.MergeStage;
import io.liandan.llm.stage.StageListener;
import io.liandan.llm.stage.TrainResult;
import io.liandan.llm.stage.TrainStage;
import io.liandan.spec.EvalRequest;
import io.liandan.spec.FormatSpec;
import io.liandan.spec.MergeRequest;
import io.liandan.spec.ModelSource;
import io.liandan.spec.TrainRequest;
import io.liandan.spec.TrainingArgs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo pipeline's stages run directly (no Temporal, no tracker), each timed, all in one process
 * with the float32 GEMM FLOP/s measured first: tokens/s (pairs/s for DPO) and model FLOP/s as a
 * share of GEMM per stage, checkpoint write time and size, and the demo's learning evidence (eval
 * loss from start to end, DPO reward accuracy on held-out pairs, the generations). Run: {@code mvn
 * -q -pl bench exec:java -Dbench.main=io.liandan.bench.StageBench
 * -Dexec.args="../examples/demo/pipeline.json OUT_DIR"}.
 */
public final class StageBench {
  public static void main(String[] args) throws Exception {
    if (System.getenv("DJL_OFFLINE") == null) System.setProperty("ai.djl.offline", "true");
    Path specFile = Path.of(args.length > 0 ? args[0] : "examples/demo/pipeline.json");
    Path out = Path.of(args.length > 1 ? args[1] : "target/stage-bench");
    if (Files.exists(out)) throw new IllegalArgumentException(out + ": exists; give a new folder");
    JsonNode spec = new ObjectMapper().readTree(specFile.toFile());
    System.out.printf(
        "machine: %d cores, %s, java %s%n",
        Runtime.getRuntime().availableProcessors(),
        TrainBench.cpuModel(),
        System.getProperty("java.version"));
    double gemm = TrainBench.gemmFlops(Device.cpu(), DataType.FLOAT32, 1024, 20);
    System.out.printf("float32 GEMM 1024^3: %.1f GFLOP/s%n", gemm / 1e9);

    long t0 = System.nanoTime();
    DemoData.writeDemo(out);
    System.out.printf("demo data: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    DecoderConfig config = DecoderConfig.load(out.resolve("model"));
    List<String> prompts = new ArrayList<>();
    spec.path("sample_prompts").forEach(p -> prompts.add(p.asText()));

    ModelSource model = ModelSource.of(out.resolve("model")), beforeDpo = null;
    List<String> tokenized = new ArrayList<>();
    TrainingArgs lastArgs = TrainingArgs.defaults();
    for (JsonNode st : spec.get("stages")) {
      String stage = st.get("stage").asText();
      if (stage.equals("eval")) {
        EvalRequest req =
            new EvalRequest(
                model,
                beforeDpo,
                tokenized,
                prompts,
                "final",
                lastArgs,
                out.resolve("eval").toString(),
                "cpu");
        long e0 = System.nanoTime();
        EvalResult r = new EvalStage().run(req, StageListener.NONE);
        System.out.printf("eval: %.1f s  %s%n", (System.nanoTime() - e0) / 1e9, r.metrics());
        r.samples().forEach(row -> System.out.println("  " + row));
        continue;
      }
      if (stage.equals("merge")) {
        long m0 = System.nanoTime();
        new MergeStage()
            .run(new MergeRequest(model, out.resolve("merge").toString(), "float32", "cpu"));
        System.out.printf("merge: %.1f s%n", (System.nanoTime() - m0) / 1e9);
        continue;
      }
      List<String> problems = new ArrayList<>();
      TrainingArgs a = TrainingArgs.parse(st.get("args"), stage, problems);
      if (a == null) throw new IllegalArgumentException(String.join("; ", problems));
      lastArgs = a;
      long k0 = System.nanoTime();
      Path data = tokenize(spec, st, a, out.resolve("model"), out);
      tokenized.add(data.toString());
      double tokSecs = (System.nanoTime() - k0) / 1e9;
      if (stage.equals("dpo") || stage.equals("kto")) beforeDpo = model;
      TrainRequest req =
          new TrainRequest(
              stage,
              model,
              data.toString(),
              a,
              prompts,
              st.path("sample_before").asBoolean(false),
              out.resolve(stage).toString(),
              "cpu");
      Recorder rec = new Recorder();
      long s0 = System.nanoTime();
      TrainResult r = new TrainStage().run(req, rec);
      double secs = (System.nanoTime() - s0) / 1e9;
      model = r.next();
      report(stage, a, config, gemm, rec, secs, tokSecs, data);
    }
  }

  static void report(
      String stage,
      TrainingArgs a,
      DecoderConfig c,
      double gemm,
      Recorder rec,
      double stageSecs,
      double tokenizeSecs,
      Path tokenized)
      throws IOException {
    Map<String, Object> s = rec.summary;
    double loop = ((Number) s.get("train_runtime")).doubleValue();
    double ckpt = ((Number) s.get("checkpoint_seconds")).doubleValue();
    boolean dpo = stage.equals("dpo"), kto = stage.equals("kto");
    String unit = dpo ? "pairs" : kto ? "examples" : "tokens";
    double work = ((Number) s.get("train_" + unit)).doubleValue();
    double perSec = work / loop;
    double flops;
    if (dpo) {
      // a pair is two sequences (prompt + chosen, prompt + rejected) through the policy, forward
      // and
      // backward, and through the reference, forward only; their real (unpadded) tokens come from
      // the tokenize manifest, where a pair's tokens are prompt + chosen + rejected
      JsonNode train =
          new ObjectMapper()
              .readTree(tokenized.resolve("manifest.json").toFile())
              .path("splits")
              .path("train");
      double pairs = train.path("samples").asDouble();
      double completions = train.path("trainedTokens").asDouble();
      double prompts = train.path("tokens").asDouble() - completions;
      double tokensPerPair = (2 * prompts + completions) / pairs;
      double train1 = TrainBench.flopsPerToken(c, a.maxLength(), a.lora());
      double forward1 = TrainBench.flopsPerToken(c, a.maxLength(), false) / 3;
      flops = perSec * tokensPerPair * (train1 + forward1);
    } else if (kto) {
      flops = Double.NaN; // not modelled: the KL rows' two forwards come on top of DPO's shape
    } else {
      flops = perSec * TrainBench.flopsPerToken(c, a.maxLength(), a.lora());
    }
    System.out.printf(
        "%s (%s): tokenize %.1f s, stage %.1f s (steps %.1f s incl. checkpoints %.2f s),"
            + " %.0f %s/s, %.2f GFLOP/s = %.0f %% of GEMM, checkpoint %.1f MB%n",
        stage,
        a.finetuningType(),
        tokenizeSecs,
        stageSecs,
        loop,
        ckpt,
        perSec,
        unit,
        flops / 1e9,
        100 * flops / gemm,
        ((Number) s.getOrDefault("checkpoint_bytes", 0)).doubleValue() / 1e6);
    Map<String, Double> first = rec.first, last = rec.last;
    for (String k :
        List.of(
            "eval/loss",
            "eval/rewards/accuracies",
            "eval/rewards/margins",
            "eval/rewards/chosen",
            "eval/rewards/rejected",
            "eval/kl")) {
      if (first.containsKey(k))
        System.out.printf("  %s: %.4f → %.4f%n", k, first.get(k), last.get(k));
    }
    rec.samples.forEach(row -> System.out.println("  " + row));
  }

  static Path tokenize(JsonNode spec, JsonNode st, TrainingArgs a, Path model, Path out)
      throws IOException {
    List<Sample> samples = new ArrayList<>();
    for (JsonNode name : st.get("datasets")) {
      JsonNode d = spec.get("datasets").get(name.asText());
      FormatSpec f = new ObjectMapper().treeToValue(d.get("format"), FormatSpec.class);
      try (DatasetReader r = DatasetReader.open(out.resolve(d.get("source").asText()), f)) {
        r.forEachRemaining(samples::add);
      }
    }
    ChatTemplate t = ChatTemplate.fromModelDir(model);
    ChatRenderer render = (messages, tools, gen) -> t.render(messages, tools, gen, null);
    Path dir = out.resolve("tokenized-" + st.get("stage").asText());
    try (TextTokenizer tok = TextTokenizer.fromModelDir(model)) {
      new TokenizeStage(
              a.tokenizeSpec(st.get("stage").asText(), st.path("eval_ratio").asDouble(0)),
              render,
              tok.encoder(),
              null)
          .run(samples.iterator(), dir);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return dir;
  }

  /** Keeps the first and last value of every metric, the summary and the samples. */
  static final class Recorder implements StageListener {
    final Map<String, Double> first = new LinkedHashMap<>(), last = new LinkedHashMap<>();
    final List<Map<String, Object>> samples = new ArrayList<>();
    Map<String, Object> summary = Map.of();

    @Override
    public void metrics(long step, Map<String, Double> values) {
      values.forEach(first::putIfAbsent);
      last.putAll(values);
      if (values.containsKey("train/loss") && step % 50 == 0)
        System.out.printf("    step %d  loss %.4f%n", step, values.get("train/loss"));
    }

    @Override
    public void samples(String table, long step, List<Map<String, Object>> rows) {
      samples.addAll(rows);
    }

    @Override
    public void summary(Map<String, Object> values) {
      summary = values;
    }
  }
}
