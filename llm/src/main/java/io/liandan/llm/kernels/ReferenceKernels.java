package io.liandan.llm.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Activation;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.tensor.Scalars;
import java.util.List;

/**
 * The kernels as generic DJL ops: eager attention as transformers' {@code eager_attention_forward}
 * (float32 scores materialised) and AdamW as a dozen element-wise ops per tensor. The parity
 * baseline of {@link TorchKernels}.
 */
final class ReferenceKernels implements Kernels {
  static final ReferenceKernels INSTANCE = new ReferenceKernels();

  private ReferenceKernels() {}

  @Override
  public String name() {
    return "reference";
  }

  @Override
  public NDArray attention(
      NDArray q, NDArray k, NDArray v, NDArray bias, NDArray scale, NDArray cap) {
    long B = q.getShape().get(0), nH = q.getShape().get(1), T = q.getShape().get(2);
    long nKv = k.getShape().get(1), hd = q.getShape().get(3);
    // GQA without copying keys: query heads grouped per key head, matmul broadcasts over the group
    NDArray qg = q.reshape(B, nKv, nH / nKv, T, hd); // (B, nKv, g, T, hd)
    NDArray kT = k.expandDims(2).transpose(0, 1, 2, 4, 3); // (B, nKv, 1, hd, Tk)
    NDArray att = qg.matMul(kT).muli(scale); // (B, nKv, g, T, Tk)
    if (cap != null) att = att.div(cap).tanh().mul(cap); // Gemma 2, before the mask as transformers
    att = (bias == null ? att : att.addi(bias)).softmax(-1);
    NDArray y = att.matMul(v.expandDims(2)); // (B, nKv, g, T, hd)
    return y.reshape(B, nH, T, hd);
  }

  @Override
  public NDArray rmsNorm(NDArray x, NDArray weight, NDArray eps) {
    NDArray var = x.square().mean(new int[] {-1}, true); // (…, 1)
    NDArray minusHalf = Scalars.of(x.getManager(), -0.5);
    return x.mul(var.addi(eps).pow(minusHalf)).mul(weight);
  }

  @Override
  public NDArray rope(NDArray x, NDArray cos, NDArray sin) {
    long rd = cos.getShape().get(3);
    if (rd < x.getShape().get(3)) {
      NDList parts = x.split(new long[] {rd}, 3); // (…, rd), (…, hd - rd)
      return rope(parts.get(0), cos, sin).concat(parts.get(1), 3);
    }
    NDList parts = x.split(new long[] {rd / 2}, 3);
    NDArray rotated = parts.get(1).neg().concat(parts.get(0), 3);
    return x.mul(cos).add(rotated.mul(sin));
  }

  @Override
  public NDArray swiglu(NDArray gate, NDArray up) {
    return gate.mul(Activation.sigmoid(gate)).mul(up);
  }

  @Override
  public boolean unscaleGrads(List<NDArray> grads, double invScale) {
    if (grads.isEmpty()) return true;
    try (NoGrad ng = new NoGrad();
        NDScope s = new NDScope()) {
      NDArray inv = Scalars.of(grads.get(0).getManager(), (float) invScale); // see adamw
      NDArray worst = null; // max |g| over all gradients: inf or NaN if any element is
      for (NDArray g : grads) {
        NDArray a = g.muli(inv).abs().max();
        worst = worst == null ? a : worst.maximum(a);
      }
      return Float.isFinite(worst.getFloat());
    }
  }

  /**
   * The step's constants are tensors made once on the device ({@link Scalars}): a Java number in an
   * op would be copied to the device, and on CUDA each such copy waits for the GPU.
   */
  @Override
  public void adamw(AdamWStep s) {
    List<NDArray> params = s.params(), grads = s.grads(), expAvg = s.expAvg();
    List<NDArray> expAvgSq = s.expAvgSq();
    double lr = s.lr(), beta1 = s.beta1(), beta2 = s.beta2(), weightDecay = s.weightDecay();
    long step = s.step();
    if (params.isEmpty()) return;
    double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
    NDManager state = expAvg.get(0).getManager();
    try (NoGrad ng = new NoGrad();
        NDScope scope = new NDScope()) {
      NDArray keep = Scalars.of(state, 1 - lr * weightDecay);
      NDArray b1 = Scalars.of(state, beta1), rest1 = Scalars.of(state, 1 - beta1);
      NDArray b2 = Scalars.of(state, beta2), rest2 = Scalars.of(state, 1 - beta2);
      NDArray sqrtBc2 = Scalars.of(state, (float) Math.sqrt(bc2));
      NDArray epsT = Scalars.of(state, s.eps()), stepSize = Scalars.of(state, lr / bc1);
      for (int i = 0; i < params.size(); i++) {
        NDArray p = params.get(i), g = grads.get(i), m = expAvg.get(i), v = expAvgSq.get(i);
        if (weightDecay != 0) p.muli(keep);
        m.muli(b1).addi(g.mul(rest1));
        v.muli(b2).addi(g.square().muli(rest2));
        NDArray denom = v.sqrt().divi(sqrtBc2).addi(epsT);
        p.subi(m.div(denom).muli(stepSize));
      }
    }
  }
}
