package io.liandan.llm.train;

import static io.liandan.llm.Fixtures.assertMaxAbs;
import static io.liandan.llm.Fixtures.path;
import static io.liandan.llm.Fixtures.read;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.tensor.NoGrad;
import org.junit.jupiter.api.Test;

/**
 * DPO log-probabilities and TRL's sigmoid loss against the fixture: the policy is base + adapter,
 * the reference is the same weights with the adapter switched off (no second copy).
 */
class DpoLossTest {
  static final String F = "qwen2-tiny-untied/lora/expected_dpo.safetensors";

  @Test
  void logpsLossesAndRewardsMatchTrl() {
    try (NDManager m = NDManager.newBaseManager();
        NoGrad ng = new NoGrad();
        DecoderWeights w = DecoderWeights.load(path("qwen2-tiny-untied"), m);
        LoraAdapter lora = LoraAdapter.load(path("qwen2-tiny-untied/lora"), w)) {
      Decoder model = new Decoder(w);
      model.setHook(lora);
      NDArray prompt = read(m, F, "prompt");
      NDArray pc = logps(model, prompt, read(m, F, "chosen"));
      NDArray pr = logps(model, prompt, read(m, F, "rejected"));
      lora.setEnabled(false);
      NDArray rc = logps(model, prompt, read(m, F, "chosen"));
      NDArray rr = logps(model, prompt, read(m, F, "rejected"));
      assertMaxAbs(read(m, F, "policy_chosen_logps"), pc, 1e-4, "policy chosen");
      assertMaxAbs(read(m, F, "policy_rejected_logps"), pr, 1e-4, "policy rejected");
      assertMaxAbs(read(m, F, "ref_chosen_logps"), rc, 1e-4, "ref chosen");
      assertMaxAbs(read(m, F, "ref_rejected_logps"), rr, 1e-4, "ref rejected");
      DpoLoss dpo = DpoLoss.sigmoid(pc, pr, rc, rr, 0.1);
      assertMaxAbs(read(m, F, "losses"), dpo.losses(), 1e-5, "losses");
      assertMaxAbs(read(m, F, "rewards_chosen"), dpo.rewardsChosen(), 1e-5, "rewards chosen");
      assertMaxAbs(read(m, F, "rewards_rejected"), dpo.rewardsRejected(), 1e-5, "rewards rejected");
    }
  }

  /** Sum of log p over the completion tokens of prompt‖completion. */
  static NDArray logps(Decoder model, NDArray prompt, NDArray completion) {
    NDArray ids = prompt.concat(completion, 1);
    long P = prompt.getShape().get(1);
    NDArray labels = ids.duplicate();
    labels.set(new ai.djl.ndarray.index.NDIndex(":, :" + P), TokenLogps.IGNORE);
    return TokenLogps.of(model.forward(ids, null, false), labels).perSequence();
  }
}
