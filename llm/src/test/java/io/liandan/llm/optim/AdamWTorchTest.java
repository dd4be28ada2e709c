package io.liandan.llm.optim;

import static io.liandan.llm.oracle.LiveOracle.floats;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.llm.oracle.LiveOracle;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * AdamW against torch.optim.AdamW live, over six steps with a changing lr and non-default betas,
 * where weight decay, bias correction and both betas each move the result by ≥ 0.5 % — fifty times
 * the 1e-4 tolerance (one step from zero moments is ≈ lr·sign(g) and hides all three).
 */
class AdamWTorchTest {
  static final double REL = 1e-4;

  @Test
  void sixStepsEqualTorchAdamWAndTheToleranceSeesDecayBetasAndBiasCorrection() {
    JsonNode ref = LiveOracle.numerics("adamw");
    String replay = LiveOracle.replay("AdamWTorchTest");
    JsonNode hyper = ref.get("hyper");
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = new LinkedHashMap<>();
      ref.get("shapes")
          .fields()
          .forEachRemaining(
              e -> {
                long[] shape = new long[e.getValue().size()];
                for (int i = 0; i < shape.length; i++) shape[i] = e.getValue().get(i).asLong();
                params.put(
                    e.getKey(), m.create(floats(ref.at("/init/" + e.getKey())), new Shape(shape)));
              });
      AdamW.Hyper h =
          new AdamW.Hyper(
              hyper.at("/betas/0").asDouble(),
              hyper.at("/betas/1").asDouble(),
              hyper.get("eps").asDouble(),
              hyper.get("weight_decay").asDouble());
      AdamW opt = new AdamW(params, h, m, AdamW::isNoDecay); // x.bias: no decay, as torch's group
      for (int s = 0; s < ref.get("lrs").size(); s++) {
        JsonNode grads = ref.get("grads").get(s);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray loss = null; // d(Σ p·g)/dp = g: torch's gradients, exactly
          for (var e : params.entrySet()) {
            NDArray g = m.create(floats(grads.get(e.getKey()))).reshape(e.getValue().getShape());
            NDArray term = e.getValue().mul(g).sum();
            loss = loss == null ? term : loss.add(term);
          }
          gc.backward(loss);
        }
        opt.step(ref.get("lrs").get(s).asDouble());
        for (var e : params.entrySet()) {
          float[] want = floats(ref.get("after").get(s).get(e.getKey()));
          double off = maxRel(e.getValue().toFloatArray(), want);
          assertTrue(
              off <= REL,
              replay + ": step " + (s + 1) + " " + e.getKey() + " is " + off + " rel off torch");
        }
      }
      // each variant is what a Liandan missing that part would compute: it must be far outside
      float[] last = params.get("x.weight").toFloatArray();
      ref.get("variants")
          .fields()
          .forEachRemaining(
              v -> {
                double off = maxRel(floats(v.getValue().get("x.weight")), last);
                assertTrue(
                    off > 50 * REL,
                    replay + ": the tolerance cannot see " + v.getKey() + " (" + off + " rel)");
              });
    }
  }

  static double maxRel(float[] got, float[] want) {
    double worst = 0;
    for (int i = 0; i < want.length; i++) {
      worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.abs(want[i]));
    }
    return worst;
  }
}
