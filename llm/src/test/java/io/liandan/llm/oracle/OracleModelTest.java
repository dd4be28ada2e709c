package io.liandan.llm.oracle;

import static io.liandan.llm.Fixtures.assertMaxAbs;
import static io.liandan.llm.Fixtures.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.llm.generate.Generator;
import io.liandan.llm.generate.SamplingConfig;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.train.CausalLmLoss;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The forward pass against live transformers on random configs: logits and loss of a padded batch
 * (right or left, with generate()'s position ids), and greedy generation of a left-padded batch.
 */
class OracleModelTest {

  @TestFactory
  Stream<DynamicTest> logitsAndLossMatchTransformers() {
    return Oracle.perCase("logits and loss", OracleModelTest::compareLogitsAndLoss);
  }

  private static void compareLogitsAndLoss(Oracle o, JsonNode c) throws Exception {
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = new NoGrad();
        DecoderWeights w = DecoderWeights.load(o.dir(c).resolve("model"), m)) {
      assertEquals(c.get("dtype").asText(), w.config().torchDtype(), "checkpoint dtype");
      Path f = o.dir(c).resolve("logits.safetensors");
      NDArray ids = read(m, f, "input_ids"), mask = read(m, f, "attention_mask");
      NDArray logits = new Decoder(w).forward(ids, mask, read(m, f, "position_ids"), null, false);
      assertMaxAbs(read(m, f, "logits"), logits, 1e-4, "logits");
      NDArray labels = ids.mul(mask).add(mask.sub(1).mul(100)); // -100 on padding
      assertMaxAbs(read(m, f, "loss").reshape(), CausalLmLoss.mean(logits, labels), 1e-4, "loss");
    }
  }

  @TestFactory
  Stream<DynamicTest> greedyIdsEqualTransformers() {
    return Oracle.perCase("greedy generation", OracleModelTest::compareGreedy);
  }

  private static void compareGreedy(Oracle o, JsonNode c) throws Exception {
    JsonNode g = o.readJson(c.get("name").asText() + "/generate.json");
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(o.dir(c).resolve("model"), m)) {
      List<long[]> out =
          new Generator(new Decoder(w)).generate(ids(g.get("prompts")), SamplingConfig.greedy(12));
      List<long[]> expected = ids(g.get("generated"));
      for (int b = 0; b < expected.size(); b++)
        assertArrayEquals(expected.get(b), out.get(b), "row " + b);
    }
  }

  static List<long[]> ids(JsonNode rows) {
    List<long[]> out = new ArrayList<>();
    for (JsonNode r : rows) {
      long[] a = new long[r.size()];
      for (int i = 0; i < a.length; i++) a[i] = r.get(i).asLong();
      out.add(a);
    }
    return out;
  }
}
