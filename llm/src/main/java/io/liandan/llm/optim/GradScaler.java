package io.liandan.llm.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.liandan.llm.kernels.Kernels;
import io.liandan.llm.tensor.Scalars;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Dynamic loss scaling for fp16 training, as torch.cuda.amp.GradScaler: the loss is multiplied by
 * the scale before backward so that small gradients survive float16; before the optimizer step the
 * gradients are divided by it again, and a step whose gradients hold inf or NaN is skipped and the
 * scale halved; after {@code growthInterval} good steps in a row the scale doubles.
 * https://pytorch.org/docs/stable/amp.html#gradient-scaling
 */
public final class GradScaler {
  /** Prefix of the state's keys; "__" keeps them out of the logged metric window. */
  public static final String STATE = "__grad_scaler.";

  private final double growthFactor, backoffFactor;
  private final int growthInterval;
  private double scale;
  private int goodSteps;
  private long skippedSteps;

  /** torch's defaults: init_scale 2¹⁶, growth 2 every 2000 good steps, backoff 0.5. */
  public GradScaler() {
    this(65536, 2, 0.5, 2000);
  }

  public GradScaler(double initScale, double growthFactor, double backoffFactor, int interval) {
    this.scale = initScale;
    this.growthFactor = growthFactor;
    this.backoffFactor = backoffFactor;
    this.growthInterval = interval;
  }

  /** The current scale as a torch-owned scalar (it enters the graph: see {@link Scalars}). */
  public NDArray scaleTensor(NDManager m) {
    return Scalars.of(m, scale);
  }

  /**
   * Unscales the gradients of {@code params} in place, steps {@code opt} when all are finite
   * (clipping first, as torch does after unscale_), else skips the step; then updates the scale.
   *
   * @return the gradient norm before clipping, or NaN when the step was skipped
   */
  public double step(AdamW opt, double maxGradNorm, double lr) {
    boolean finite = unscale(opt.parameters(), opt.kernels());
    update(finite);
    if (!finite) {
      opt.skip();
      return Double.NaN;
    }
    return optimizerStep(null, opt, maxGradNorm, lr);
  }

  /** The loss to call backward on: times the scale when training in fp16, else as it is. */
  public static NDArray scaled(GradScaler scaler, NDArray loss) {
    return scaler == null ? loss : loss.mul(scaler.scaleTensor(loss.getManager()));
  }

  /**
   * The trainers' optimizer step: through {@code scaler} when training in fp16 (NaN: overflow, step
   * skipped), else clip to {@code maxGradNorm} and step. Returns the norm before clipping.
   */
  public static double optimizerStep(GradScaler scaler, AdamW opt, double maxGradNorm, double lr) {
    if (scaler != null) return scaler.step(opt, maxGradNorm, lr);
    double norm = GradClip.clipGlobalNorm(opt.parameters(), maxGradNorm);
    opt.step(lr);
    return norm;
  }

  /**
   * Divides every gradient by the scale, in one kernel call over them all with the torch kernels;
   * returns whether all of them are finite.
   */
  boolean unscale(Collection<NDArray> params, Kernels kernels) {
    List<NDArray> grads = new ArrayList<>();
    for (NDArray p : params) if (p.hasGradient()) grads.add(p.getGradient());
    return kernels.unscaleGrads(grads, 1 / scale);
  }

  /** Backs off after an overflow, grows after growthInterval clean steps in a row. */
  void update(boolean finite) {
    if (!finite) {
      scale *= backoffFactor;
      goodSteps = 0;
      skippedSteps++;
    } else if (++goodSteps == growthInterval) {
      scale *= growthFactor;
      goodSteps = 0;
    }
  }

  /** What a checkpoint keeps, so that a resumed fp16 run scales as the uninterrupted one. */
  public Map<String, Double> state() {
    return Map.of(
        STATE + "scale", scale,
        STATE + "good_steps", (double) goodSteps,
        STATE + "skipped_steps", (double) skippedSteps);
  }

  /**
   * Restores {@link #state()}; keys that are absent (a checkpoint from before fp16) keep theirs.
   */
  public void restore(Map<String, Double> state) {
    scale = state.getOrDefault(STATE + "scale", scale);
    goodSteps = state.getOrDefault(STATE + "good_steps", (double) goodSteps).intValue();
    skippedSteps = state.getOrDefault(STATE + "skipped_steps", (double) skippedSteps).longValue();
  }

  public double scale() {
    return scale;
  }

  /** Steps skipped so far for inf/NaN gradients. */
  public long skippedSteps() {
    return skippedSteps;
  }
}
