package io.liandan.llm.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.liandan.llm.kernels.Kernels;
import io.liandan.llm.tensor.NoGrad;
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
  private final Kernels kernels;
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
    this(params, h, state, noDecay, Kernels.configured());
  }

  /**
   * @param kernels whose AdamW runs the update: the per-tensor DJL ops ({@code reference}) or
   *     torch's fused kernel ({@code torch}); both keep the same state ({@link #state()})
   */
  public AdamW(
      Map<String, NDArray> params,
      Hyper h,
      NDManager state,
      java.util.function.Predicate<String> noDecay,
      Kernels kernels) {
    this.h = h;
    this.kernels = java.util.Objects.requireNonNull(kernels, "kernels");
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
   * One update with learning rate {@code lr}, then zeroed gradients: the decayed and the undecayed
   * parameters as two groups through the {@link Kernels}' AdamW (per-tensor DJL ops, or torch's
   * fused kernel). Parameters without a gradient (not reached by this loss) are skipped, as torch
   * skips them.
   */
  public void step(double lr) {
    step++;
    try (NoGrad ng = new NoGrad();
        NDScope scope = new NDScope()) {
      List<List<NDArray>> decayed = groupLists(), plain = groupLists();
      for (int i = 0; i < params.size(); i++) {
        NDArray p = params.get(i), g = p.getGradient();
        if (g == null) continue;
        List<List<NDArray>> group = decay.get(i) && h.weightDecay() != 0 ? decayed : plain;
        group.get(0).add(p);
        group.get(1).add(g);
        group.get(2).add(m.get(i));
        group.get(3).add(v.get(i));
      }
      update(decayed, lr, h.weightDecay());
      update(plain, lr, 0);
    }
    zeroGrad();
  }

  private static List<List<NDArray>> groupLists() {
    return List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
  }

  private void update(List<List<NDArray>> g, double lr, double weightDecay) {
    kernels.adamw(
        new Kernels.AdamWStep(
            g.get(0),
            g.get(1),
            g.get(2),
            g.get(3),
            step,
            lr,
            h.beta1(),
            h.beta2(),
            h.eps(),
            weightDecay));
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

  /** The kernels that run the update (and fp16's unscale, {@link GradScaler}). */
  Kernels kernels() {
    return kernels;
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
