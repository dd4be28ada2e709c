package io.liandan.llm.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.liandan.llm.model.NoGrad;
import io.liandan.llm.model.Scalars;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * AdamW with torch.optim.AdamW's semantics (decoupled weight decay, bias correction, eps outside
 * the square root): https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html. Moments live
 * in the manager given at construction; gradients are read from the parameters and zeroed after the
 * step.
 */
public final class AdamW implements AutoCloseable {
  /** Hyperparameters with TrainingArguments' defaults. */
  public record Hyper(double beta1, double beta2, double eps, double weightDecay) {
    public static Hyper defaults(double weightDecay) {
      return new Hyper(0.9, 0.999, 1e-8, weightDecay);
    }
  }

  private final List<String> names = new ArrayList<>();
  private final List<NDArray> params = new ArrayList<>();
  private final List<NDArray> m = new ArrayList<>(); // first moments
  private final List<NDArray> v = new ArrayList<>(); // second moments
  private final List<Boolean> decay = new ArrayList<>();
  private final Hyper h;
  private final NDManager state;
  private long step;

  /**
   * @param params trainable tensors by name; each gets requires-grad here
   * @param noDecay names excluded from weight decay (transformers: biases and norm weights)
   */
  public AdamW(
      Map<String, NDArray> params,
      Hyper h,
      NDManager state,
      java.util.function.Predicate<String> noDecay) {
    this.h = h;
    this.state = state;
    params.forEach(
        (name, p) -> {
          p.setRequiresGradient(true);
          names.add(name);
          this.params.add(p);
          m.add(state.zeros(p.getShape(), p.getDataType()));
          v.add(state.zeros(p.getShape(), p.getDataType()));
          decay.add(!noDecay.test(name));
        });
  }

  /** transformers' Trainer rule: no decay on biases and normalisation weights. */
  public static boolean isNoDecay(String name) {
    return name.endsWith(".bias") || name.contains("norm");
  }

  /**
   * One update with learning rate {@code lr}, then zeroed gradients. The step's constants are
   * tensors made once on the device ({@link Scalars}): a Java number in an op would be copied to
   * the device, and on CUDA each such copy waits for the GPU — hundreds of stalls a step.
   */
  public void step(double lr) {
    step++;
    double bc1 = 1 - Math.pow(h.beta1(), step), bc2 = 1 - Math.pow(h.beta2(), step);
    try (NoGrad ng = new NoGrad();
        NDScope scope = new NDScope()) {
      NDArray keep = Scalars.of(state, 1 - lr * h.weightDecay());
      NDArray beta1 = Scalars.of(state, h.beta1()), rest1 = Scalars.of(state, 1 - h.beta1());
      NDArray beta2 = Scalars.of(state, h.beta2()), rest2 = Scalars.of(state, 1 - h.beta2());
      NDArray sqrtBc2 = Scalars.of(state, (float) Math.sqrt(bc2));
      NDArray eps = Scalars.of(state, h.eps()), stepSize = Scalars.of(state, lr / bc1);
      for (int i = 0; i < params.size(); i++) {
        NDArray p = params.get(i), g = p.getGradient();
        if (g == null) continue; // not reached by this loss (torch skips it too)
        if (decay.get(i) && h.weightDecay() != 0) p.muli(keep);
        m.get(i).muli(beta1).addi(g.mul(rest1));
        v.get(i).muli(beta2).addi(g.square().muli(rest2));
        NDArray denom = v.get(i).sqrt().divi(sqrtBc2).addi(eps);
        p.subi(m.get(i).div(denom).muli(stepSize));
      }
    }
    zeroGrad();
  }

  /**
   * A step that changes nothing (fp16: the gradients overflowed, see {@link GradScaler}): zeroes
   * the gradients and counts the step, so that schedule, data position and checkpoints move on as
   * Trainer's global step does. Unlike torch, whose skipped step also leaves AdamW's own counter,
   * the bias correction then uses this count; the difference fades as 1 - β^t → 1.
   */
  public void skip() {
    step++;
    zeroGrad();
  }

  /** Zeroes the accumulated gradients (gradients accumulate over backward calls, as in torch). */
  public void zeroGrad() {
    for (NDArray p : params) {
      if (p.hasGradient()) JniUtils.zeroGrad((PtNDArray) p);
    }
  }

  /**
   * The optimizer's state by name, for checkpoints: {@code exp_avg.NAME} and {@code
   * exp_avg_sq.NAME} per parameter (torch's names); the step count travels separately.
   */
  public Map<String, NDArray> state() {
    Map<String, NDArray> out = new java.util.LinkedHashMap<>();
    for (int i = 0; i < names.size(); i++) {
      out.put("exp_avg." + names.get(i), m.get(i));
      out.put("exp_avg_sq." + names.get(i), v.get(i));
    }
    return out;
  }

  /**
   * Restores what {@link #state()} and {@link #stepCount()} returned when a checkpoint was saved.
   */
  public void restore(long stepCount, java.util.function.Function<String, float[]> values) {
    try (NoGrad ng = new NoGrad()) {
      for (var e : state().entrySet()) {
        NDArray target = e.getValue();
        target.set(values.apply(e.getKey()));
      }
    }
    this.step = stepCount;
  }

  /** Steps taken so far (torch's state["step"]). */
  public long stepCount() {
    return step;
  }

  public List<NDArray> parameters() {
    return params;
  }

  public List<String> names() {
    return names;
  }

  @Override
  public void close() {
    m.forEach(NDArray::close);
    v.forEach(NDArray::close);
  }
}
