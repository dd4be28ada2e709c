package io.liandan.llm.oracle;

import static io.liandan.llm.Fixtures.assertMaxAbs;
import static io.liandan.llm.Fixtures.read;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.train.DpoLoss;
import io.liandan.llm.train.DpoTrainer;
import io.liandan.llm.train.MicroBatch;
import io.liandan.llm.train.Optimization;
import io.liandan.llm.train.PreferenceBatch;
import io.liandan.llm.train.TokenLogps;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * DPO against TRL's own DPOTrainer loss code: pairs of different prompt and reply lengths (so both
 * sides are padded), policy = base + a PEFT adapter, reference = the adapter switched off.
 */
class OracleDpoTest {

  @TestFactory
  Stream<DynamicTest> lossRewardsAndLogpsMatchTrl() {
    return Oracle.perCase("DPO", OracleDpoTest::compareDpo);
  }

  private static void compareDpo(Oracle o, JsonNode c) throws Exception {
    String name = c.get("name").asText();
    JsonNode d = o.readJson(name + "/dpo.json"), trl = d.get("trl");
    Path f = o.dir(c).resolve("dpo.safetensors");
    double beta = d.get("beta").asDouble();
    List<int[][]> pairs = new ArrayList<>();
    for (JsonNode p : d.get("pairs"))
      pairs.add(new int[][] {ints(p.get(0)), ints(p.get(1)), ints(p.get(2))});
    PreferenceBatch batch = PreferenceBatch.of(pairs, 0);
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = new NoGrad();
        DecoderWeights w = DecoderWeights.load(o.dir(c).resolve("model"), m);
        LoraAdapter lora = LoraAdapter.load(o.dir(c).resolve("lora"), w)) {
      Decoder model = new Decoder(w);
      model.setHook(lora);
      DpoTrainer.Reference ref = Oracle.adapterOff(model, lora);
      NDArray pc = logps(model, batch.chosen()), pr = logps(model, batch.rejected());
      NDArray rc = ref(ref, m, batch.chosen()), rr = ref(ref, m, batch.rejected());
      assertMaxAbs(read(m, f, "policy_chosen_logps"), pc, 1e-4, "policy chosen logps");
      assertMaxAbs(read(m, f, "policy_rejected_logps"), pr, 1e-4, "policy rejected logps");
      assertMaxAbs(read(m, f, "ref_chosen_logps"), rc, 1e-4, "reference chosen logps");
      assertMaxAbs(read(m, f, "ref_rejected_logps"), rr, 1e-4, "reference rejected logps");
      DpoLoss dpo = DpoLoss.sigmoid(pc, pr, rc, rr, beta);
      assertMaxAbs(read(m, f, "losses"), dpo.losses(), 1e-4, "losses");
      assertMaxAbs(read(m, f, "rewards_chosen"), dpo.rewardsChosen(), 1e-4, "rewards");
      assertMaxAbs(read(m, f, "rewards_rejected"), dpo.rewardsRejected(), 1e-4, "rewards");
      // the trainer's own evaluation against the metrics TRL's _compute_loss logged
      var r = new DpoTrainer(model, ref, Optimization.scoringOnly(0), beta).evaluate(batch);
      assertEquals(trl.get("loss").asDouble(), r.loss(), 1e-4, "loss");
      assertEquals(trl.get("rewards/chosen").asDouble(), r.rewardsChosen(), 1e-4);
      assertEquals(trl.get("rewards/rejected").asDouble(), r.rewardsRejected(), 1e-4);
      assertEquals(trl.get("rewards/margins").asDouble(), r.rewardsMargins(), 1e-4);
      assertEquals(trl.get("rewards/accuracies").asDouble(), r.rewardsAccuracies(), 1e-6);
      assertEquals(trl.get("logps/chosen").asDouble(), r.logpsChosen(), 1e-4);
      assertEquals(trl.get("logps/rejected").asDouble(), r.logpsRejected(), 1e-4);
    }
  }

  static NDArray logps(Decoder model, MicroBatch b) {
    NDArray[] t = tensors(model.manager(), b);
    return TokenLogps.of(model.forward(t[0], t[2], false), t[1]).perSequence();
  }

  static NDArray ref(DpoTrainer.Reference ref, NDManager m, MicroBatch b) {
    NDArray[] t = tensors(m, b);
    return TokenLogps.of(ref.logits(t[0], t[2]), t[1]).perSequence();
  }

  static NDArray[] tensors(NDManager m, MicroBatch b) {
    Shape s = new Shape(b.batch(), b.seq());
    return new NDArray[] {
      m.create(b.ids(), s), m.create(b.labels(), s), b.mask() == null ? null : m.create(b.mask(), s)
    };
  }

  static int[] ints(JsonNode n) {
    int[] a = new int[n.size()];
    for (int i = 0; i < a.length; i++) a[i] = n.get(i).asInt();
    return a;
  }
}
