package io.liandan.llm.oracle;

import static io.liandan.llm.Fixtures.read;
import static io.liandan.llm.oracle.OraclePreferenceTest.assertClose;
import static io.liandan.llm.oracle.OraclePreferenceTest.assertStepClose;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.llm.Fixtures;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.LrSchedule;
import io.liandan.llm.train.DpoTrainer;
import io.liandan.llm.train.KtoBatch;
import io.liandan.llm.train.KtoLoss;
import io.liandan.llm.train.KtoTrainer;
import io.liandan.llm.train.Optimization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * KTO against TRL's own KTOTrainer._compute_loss on each case's PEFT policy (reference = adapter
 * off): unpaired examples of both labels, the KL estimate from the mismatched rows TRL's collator
 * builds, desirable/undesirable weights drawn per run. First step's loss, kl, rewards and log-probs
 * by label, the LoRA gradients; then three AdamW steps' logged loss, kl and margin.
 */
class OracleKtoTest {
  @TestFactory
  Stream<DynamicTest> ktoMatchesTrl() {
    return Oracle.perCase(
        "KTO",
        (o, c) -> {
          JsonNode d = o.readJson(c.get("name").asText() + "/kto.json");
          Path dir = o.dir(c), f = dir.resolve("kto.safetensors");
          List<int[][]> rows = new ArrayList<>();
          for (JsonNode r : d.get("rows"))
            rows.add(new int[][] {OracleDpoTest.ints(r.get(0)), OracleDpoTest.ints(r.get(1))});
          boolean[] labels = new boolean[rows.size()];
          for (int i = 0; i < labels.length; i++) labels[i] = d.get("labels").get(i).asBoolean();
          KtoBatch batch = KtoBatch.of(rows, labels, 0);
          try (NDManager m = NDManager.newBaseManager();
              DecoderWeights w = DecoderWeights.load(dir.resolve("model"), m);
              LoraAdapter lora = LoraAdapter.load(dir.resolve("lora"), w);
              AdamW opt =
                  new AdamW(
                      lora.parameters(),
                      new AdamW.Hyper(0.9, 0.999, 1e-8, 0),
                      m,
                      AdamW::isNoDecay)) {
            Decoder model = new Decoder(w);
            model.setHook(lora);
            DpoTrainer.Reference ref = Oracle.adapterOff(model, lora);
            KtoTrainer t =
                new KtoTrainer(
                    model,
                    ref,
                    new Optimization(
                        opt, new LrSchedule("constant", 0, 10), d.get("lr").asDouble(), 0, 1),
                    new KtoLoss.Weights(
                        d.get("beta").asDouble(),
                        d.get("desirable_weight").asDouble(),
                        d.get("undesirable_weight").asDouble()));
            JsonNode steps = d.get("steps"), steps64 = d.get("steps64"), first = steps.get(0);
            Map<String, Double> got = t.backward(List.of(batch), 0);
            assertClose(first.get("loss").asDouble(), got.get("train/loss"), 1e-5, "loss");
            assertClose(first.get("kl").asDouble(), got.get("train/kl"), 1e-5, "kl");
            for (String k :
                List.of(
                    "rewards/chosen",
                    "rewards/rejected",
                    "rewards/margins",
                    "logps/chosen",
                    "logps/rejected")) assertClose(first.get(k).asDouble(), got.get(k), 1e-5, k);
            for (Map.Entry<String, NDArray> e : lora.parameters().entrySet()) {
              NDArray expected = read(m, f, "grad." + e.getKey());
              NDArray exact = read(m, f, "grad64." + e.getKey());
              double own = Fixtures.relDiff(exact, expected);
              double rel = Fixtures.relDiff(expected, e.getValue().getGradient());
              assertTrue(
                  rel <= Fixtures.gradBound(1e-4, exact, expected),
                  "gradient of " + e.getKey() + ": " + rel + " relative (TRL's own: " + own + ")");
            }
            opt.zeroGrad();
            for (int i = 0; i < steps.size(); i++) {
              Map<String, Double> r = t.step(List.of(batch));
              for (String k : List.of("loss", "kl", "rewards/margins"))
                assertStepClose(
                    steps,
                    steps64,
                    i,
                    k,
                    r.get(k.equals("loss") || k.equals("kl") ? "train/" + k : k));
            }
          }
        });
  }
}
