package io.liandan.llm.stage;

import static io.liandan.llm.Fixtures.path;
import static io.liandan.llm.Fixtures.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.spec.LoraConfig;
import io.liandan.spec.ModelSource;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Q-LoRA's load: quantized on the host, moved to the stage's manager, and nothing left behind in
 * the host manager — the path a GPU takes, run here CPU to CPU.
 */
class QuantizedLoadTest {
  static final String FIXTURE = "qwen2-tiny-untied";

  @Test
  void weightsQuantizedOnTheHostSurviveItAndGiveTheSameLogits() {
    ModelSource source = ModelSource.of(path(FIXTURE));
    String f = FIXTURE + "/expected_logits.safetensors";
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = new NoGrad();
        DecoderWeights inPlace = ModelLoader.loadQuantized(source, m, 0, true, false)) {
      DecoderWeights moved;
      try (NDManager host = NDManager.newBaseManager()) {
        moved = ModelLoader.quantizedOn(host, source, m, 0, true, false);
      } // the host manager is gone: everything the weights hold must belong to m now
      NDArray ids = read(m, f, "input_ids"), mask = read(m, f, "attention_mask");
      NDArray a = new Decoder(inPlace).forward(ids, mask, false);
      NDArray b = new Decoder(moved).forward(ids, mask, false);
      assertEquals(0f, a.sub(b).abs().max().getFloat(), "same NF4 codes, same logits");
      assertEquals(inPlace.quantizedBytes(), moved.quantizedBytes());
      assertEquals(inPlace.names(), moved.names());
      assertTrue(moved.quantized());
      moved.close();
    }
  }

  @Test
  void loraInitialisedOnTheNf4BaseEqualsTheOneOnTheFloatBase() {
    LoraConfig c = LoraConfig.of(4, 8, 0, List.of("all-linear"));
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path(FIXTURE), m);
        DecoderWeights q =
            ModelLoader.loadQuantized(ModelSource.of(path(FIXTURE)), m, 0, true, false);
        LoraAdapter a = LoraAdapter.init(c, w, 9);
        LoraAdapter b = LoraAdapter.init(c, q, 9)) {
      assertEquals(w.names(), q.names(), "checkpoint order kept: the adapters draw in that order");
      assertEquals(a.parameters().keySet(), b.parameters().keySet());
      a.parameters()
          .forEach(
              (n, p) ->
                  assertArrayEquals(p.toFloatArray(), b.parameters().get(n).toFloatArray(), n));
    }
  }
}
