package io.liandan.llm.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.tensor.Scalars;
import java.util.Collection;

/** torch.nn.utils.clip_grad_norm_: scale all gradients by max_norm / (‖g‖₂ + 1e-6) when above. */
public final class GradClip {
  private GradClip() {}

  /** Returns the global norm before clipping (what trainers log as grad_norm). */
  public static double clipGlobalNorm(Collection<NDArray> params, double maxNorm) {
    try (NoGrad ng = new NoGrad();
        NDScope scope = new NDScope()) {
      NDArray total = null;
      for (NDArray p : params) {
        NDArray g = p.hasGradient() ? p.getGradient() : null;
        if (g == null) continue;
        // ‖g‖₂ in one reduction, squared: no temporary of g's size, which g.square() was (held
        // to the scope's end, every gradient's at once: the model's size again at full
        // fine-tuning); torch's clip_grad_norm_ likewise takes the norm of the per-tensor norms
        NDArray sq = g.norm(false).square();
        total = total == null ? sq : total.addi(sq);
      }
      if (total == null) return 0;
      double norm = Math.sqrt(total.getFloat());
      double coef = maxNorm / (norm + 1e-6);
      if (maxNorm > 0 && coef < 1) {
        NDArray c = Scalars.of(total.getManager(), coef); // on the device: see AdamW.step
        for (NDArray p : params) {
          if (p.hasGradient()) p.getGradient().muli(c);
        }
      }
      return norm;
    }
  }
}
