package io.liandan.llm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import io.liandan.llm.amp.Cast;
import io.liandan.llm.kernels.Bf16;
import io.liandan.llm.kernels.Kernels;
import io.liandan.llm.model.DecoderConfig.RopeScaling;
import io.liandan.llm.tensor.Scalars;
import io.liandan.llm.tensor.Scoped;
import java.util.ArrayList;
import java.util.List;

/**
 * The decoder of the Qwen2 / Llama / Mistral / Qwen3 / Gemma 2 / Gemma 3 / Phi-3 families as
 * transformers' {@code modeling_qwen2.py} (and its siblings, which differ only where {@link
 * DecoderConfig}'s switches say: biases, q/k norms, Phi-3's fused projections, sliding windows,
 * RoPE scaling, partial rotation and local bases, Gemma's scaled embeddings, (1 + w) norms,
 * sandwich norms, GELU-tanh and soft-caps) computes it (eager attention), in DJL NDArray ops:
 * embedding → N × (RMSNorm → GQA attention with RoPE → residual → RMSNorm → SwiGLU → residual) →
 * RMSNorm → lm_head. Stateless apart from the weights and an optional set of adapters ({@link
 * LinearHook}); it neither trains nor samples. B = batch, T = new positions, Tk = keys (cached +
 * new), C = hidden, V = vocab, hd = head dim, rd = its rotated part.
 */
public final class Decoder {
  /** Adds something to the output of a named linear layer: LoRA adapters implement it. */
  public interface LinearHook {
    /** {@code y} = x·Wᵀ + b of module {@code module}; returns y or y plus the adapter's term. */
    NDArray apply(String module, NDArray x, NDArray y, boolean training);
  }

  private static final float MASKED = -Float.MAX_VALUE; // what transformers adds for masked keys

  private final DecoderConfig c;
  private final DecoderWeights w;
  private final NDArray invFreq, localInvFreq; // (hd/2): full layers', sliding layers'
  // torch-owned scalars, made once on the model's device: see Scalars, and AdamW.step for why an
  // op's Java number would stall a GPU
  private final NDArray attnScale, eps, one, maskValue;
  private final NDArray embedScale, half, geluBeta, geluKappa; // Gemma's
  private final NDArray attnCap, finalCap; // Gemma 2's soft-caps, or null
  private final NDArray ropeFactor; // yarn's and longrope's factor on cos/sin, or null (1)
  private LinearHook hook;
  private Kernels kernels = Kernels.configured(); // attention: flash (torch) or eager (reference)
  private DataType compute = DataType.FLOAT32; // of the linear layers' matmuls (fp16: FLOAT16)
  private boolean bf16Matmuls; // bf16: the linear layers' matmuls in bf16 over float32 weights

  public Decoder(DecoderWeights weights) {
    this.w = weights;
    this.c = weights.config();
    // 1 / theta^(2i/hd) in float32 torch ops, exactly as transformers computes inv_freq
    NDManager m = weights.manager();
    this.invFreq =
        RopeScalings.apply(
            c.ropeScaling(),
            inverseFrequencies(m, c.ropeTheta()),
            c.ropeTheta(),
            c.rotaryDim(),
            false);
    // Gemma 3's sliding layers rotate with their own base, never scaled (even when that base
    // equals rope_theta: the full layers' linear scaling must not reach them)
    this.localInvFreq =
        c.ropeLocalBaseFreq() == null ? invFreq : inverseFrequencies(m, c.localRopeTheta());
    this.attnScale = Scalars.of(m, c.attentionScale());
    this.eps = Scalars.of(m, (float) c.rmsNormEps());
    this.one = Scalars.of(m, 1);
    this.maskValue = Scalars.of(m, -MASKED);
    this.embedScale = Scalars.of(m, Math.sqrt(c.hiddenSize())); // as torch.tensor(C ** 0.5)
    this.half = Scalars.of(m, 0.5);
    this.geluBeta = Scalars.of(m, Math.sqrt(2 / Math.PI));
    this.geluKappa = Scalars.of(m, 0.044715);
    this.attnCap = cap(m, c.attnLogitSoftcapping());
    this.finalCap = cap(m, c.finalLogitSoftcapping());
    double factor = RopeScalings.attentionFactor(c.ropeScaling());
    this.ropeFactor = factor == 1 ? null : cap(m, factor);
    NDScope.unregister(invFreq, localInvFreq, attnScale, eps, one, maskValue);
    NDScope.unregister(embedScale, half, geluBeta, geluKappa); // live as the model
  }

  private static NDArray cap(NDManager m, Double value) {
    if (value == null) return null;
    NDArray a = Scalars.of(m, value);
    NDScope.unregister(a);
    return a;
  }

  /**
   * 1 / theta^(2i/rd) in float32 torch ops, exactly as transformers computes inv_freq: (rd/2), rd =
   * the rotated part of a head (all of it but for Phi-3's partial_rotary_factor).
   */
  private NDArray inverseFrequencies(NDManager m, double theta) {
    int rd = c.rotaryDim();
    try (NDArray exponent = m.arange(0, rd, 2, DataType.FLOAT32).divi((float) rd);
        NDArray base = m.create((float) theta)) {
      return base.pow(exponent).pow(-1f);
    }
  }

  public DecoderConfig config() {
    return c;
  }

  public DecoderWeights weights() {
    return w;
  }

  public NDManager manager() {
    return w.manager();
  }

  /**
   * The dtype of the linear layers' matmuls: FLOAT32, or FLOAT16 for fp16 mixed precision (inputs
   * and float32 master weights cast per forward, differentiably; outputs back to float32, so
   * RMSNorm, attention softmax, adapters and the loss stay float32). Never BFLOAT16: bf16 tensors
   * crash this engine build.
   */
  public void setComputeType(DataType type) {
    if (type != DataType.FLOAT32 && type != DataType.FLOAT16)
      throw new IllegalArgumentException("compute type must be float32 or float16, not " + type);
    this.compute = type;
  }

  public DataType computeType() {
    return compute;
  }

  /**
   * bf16 mixed precision (TrainingArguments' {@code bf16}, torch.autocast's way for linears): the
   * decoder's linear layers round their inputs and float32 weights to bf16 per call, inside the
   * kernel script ({@link Bf16#linear}); gradients reach the weights in float32, and RMSNorm,
   * attention, adapters, the lm_head and the loss stay float32. No loss scaling: bf16 has float32's
   * range.
   */
  public void setBf16Matmuls(boolean on) {
    if (on && compute != DataType.FLOAT32)
      throw new IllegalArgumentException("bf16 matmuls exclude the float16 compute type");
    this.bf16Matmuls = on;
  }

  /**
   * The implementation of attention (see {@link Kernels}); the default is {@link
   * Kernels#configured}.
   */
  public void setKernels(Kernels kernels) {
    this.kernels = java.util.Objects.requireNonNull(kernels, "kernels");
  }

  public Kernels kernels() {
    return kernels;
  }

  /** Installs (or with null removes) the adapter hook on the linear layers. */
  public void setHook(LinearHook hook) {
    this.hook = hook;
  }

  /** Logits for a batch without a cache: positions 0..T-1, as transformers' forward by default. */
  public NDArray forward(NDArray ids, NDArray mask, boolean training) {
    return forward(ids, mask, null, null, training);
  }

  /**
   * @param ids (B, T) int64 token ids
   * @param mask (B, Tk) 1 for real tokens, 0 for padding, covering cached and new positions; null =
   *     all real
   * @param positions (B, T) rotary positions; null = past .. past+T-1
   * @param cache keys/values of earlier positions, appended to; null = no cache
   * @return (B, T, V) float32 logits
   */
  public NDArray forward(
      NDArray ids, NDArray mask, NDArray positions, KvCache cache, boolean training) {
    return head(hidden(ids, mask, positions, cache, training)); // (B, T, V)
  }

  /**
   * {@link #forward}'s logits of the last position only, (B, 1, V): what generation samples from.
   * The head's matmul over the other prompt positions (T·V·C multiply-adds) is skipped.
   */
  public NDArray forwardLast(NDArray ids, NDArray mask, NDArray positions, KvCache cache) {
    NDArray x = hidden(ids, mask, positions, cache, false); // (B, T, C)
    long T = x.getShape().get(1);
    return head(x.get(new NDIndex().addAllDim().addSliceDim(T - 1, T))); // (B, 1, V)
  }

  /**
   * The final layer's output before the last norm and the head, (B, T, C): {@link #head} of it is
   * {@link #forward}'s logits. Trainers run the head in pieces over it.
   */
  public NDArray hidden(NDArray ids, NDArray mask, boolean training) {
    return hidden(ids, mask, null, null, training);
  }

  private NDArray hidden(
      NDArray ids, NDArray mask, NDArray positions, KvCache cache, boolean training) {
    long T = ids.getShape().get(1);
    Positions at = positions(ids, mask, positions, cache == null ? 0 : cache.length());
    NDArray x = embed(ids); // (B, T, C)
    NDArray oneCall = T == 1 && !training ? decodeInOneCall(x, at, cache) : null;
    if (oneCall != null) x = oneCall;
    else
      for (int i = 0; i < c.numHiddenLayers(); i++) {
        int n = i;
        NDArray in = x;
        x = Scoped.keep(() -> layer(n, in, at, cache, training));
      }
    if (cache != null) cache.advance(T);
    return x;
  }

  /** A layer's linears, in the order of {@link Kernels#decode}'s weights (each weight, bias). */
  private static final String[] DECODE_LINEARS = {
    "self_attn.q_proj",
    "self_attn.k_proj",
    "self_attn.v_proj",
    "self_attn.o_proj",
    "mlp.gate_proj",
    "mlp.up_proj",
    "mlp.down_proj"
  };

  /**
   * Every layer of a decode step (x (B, 1, C)) in one kernel call ({@link Kernels#decode}), which
   * spares the ~25 JNI crossings a layer of {@link #layer}'s path: only where that path would run
   * nothing else — no hook (LoRA), float32 linears, a Llama-style layer (not Gemma's sandwich, not
   * Phi-3's fused projections, no soft-cap), no NF4 weights (the list would hold every layer's
   * dequantized copy at once, where the layer path holds one layer's), layers of one kind, and a
   * preallocated cache; a step of left-padded rows passes its mask. Null otherwise, and the layers
   * run one by one.
   */
  private NDArray decodeInOneCall(NDArray x, Positions at, KvCache cache) {
    if (cache == null || hook != null || bf16Matmuls || compute != DataType.FLOAT32) return null;
    if (w.quantized()) return null;
    if (c.gemma() || c.fusedProjections() || attnCap != null) return null;
    if ((at.full() == null) == (at.sliding() == null)) return null; // both kinds of layer
    Rotary r = at.full() != null ? at.full() : at.sliding();
    List<NDArray> caches = cache.buffers();
    if (caches == null) return null;
    NDManager m = x.getManager();
    List<NDArray> ws = new ArrayList<>(18 * c.numHiddenLayers());
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      String p = "model.layers." + i + ".";
      ws.add(w.get(p + "input_layernorm.weight"));
      ws.add(w.get(p + "post_attention_layernorm.weight"));
      ws.add(c.qkNorm() ? w.get(p + "self_attn.q_norm.weight") : null);
      ws.add(c.qkNorm() ? w.get(p + "self_attn.k_norm.weight") : null);
      for (String module : DECODE_LINEARS) {
        ws.add(w.weight(p + module + ".weight", compute, m));
        ws.add(w.tensors().get(p + module + ".bias")); // null: none
      }
    }
    return kernels.decode(
        new Kernels.DecodeStep(
            x,
            ws,
            caches,
            r.cos(),
            r.sin(),
            r.bias(),
            cache.length(),
            eps,
            attnScale,
            c.numAttentionHeads(),
            c.numKeyValueHeads(),
            c.headDim())); // (B, 1, C)
  }

  /**
   * What the layers of one kind (full or sliding) share in one forward: rotary cos/sin (B|1, 1, T,
   * rd) and the additive attention bias (B|1, 1, 1, T, Tk).
   */
  public record Rotary(NDArray cos, NDArray sin, NDArray bias) {}

  /**
   * What every layer of one forward shares: each kind's {@link Rotary}, null if no layer uses it.
   */
  public record Positions(Rotary full, Rotary sliding) {
    Rotary of(boolean slidingLayer) {
      return slidingLayer ? sliding : full;
    }
  }

  /**
   * @param mask (B, Tk) 1 for real tokens, 0 for padding; null = all real
   * @param positions (B, T) rotary positions; null = past .. past+T-1
   */
  public Positions positions(NDArray ids, NDArray mask, NDArray positions, long past) {
    long B = ids.getShape().get(0), T = ids.getShape().get(1);
    NDManager m = ids.getManager();
    if (positions == null) positions = arange(m, past, past + T).expandDims(0); // (1, T)
    boolean anyFull = false, anySliding = false;
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      anySliding |= c.slidingLayer(i);
      anyFull |= !c.slidingLayer(i);
    }
    // dynamic NTK and longrope rotate by how far this forward's positions reach, recomputed per
    // forward as transformers' dynamic_rope_update does (it also keeps a dynamic base grown by an
    // earlier, longer call until a call within max_position_embeddings resets it; Liandan does not)
    NDArray global = invFreq;
    if (RopeScalings.lengthDependent(c.ropeScaling())) {
      long reach = positions.max().toType(DataType.INT64, false).getLong() + 1;
      if (RopeScalings.grows(c, reach)) global = grownFrequencies(m, reach);
    }
    Rotary full = null, sliding = null;
    if (anyFull) {
      NDArray[] rope = rope(positions, global, ropeFactor);
      full = new Rotary(rope[0], rope[1], attentionBias(m, mask, B, T, past, 0));
    }
    if (anySliding) { // Gemma 3's sliding layers: their own base, unscaled
      boolean own = localInvFreq != invFreq;
      NDArray[] rope = rope(positions, own ? localInvFreq : global, own ? null : ropeFactor);
      sliding =
          new Rotary(rope[0], rope[1], attentionBias(m, mask, B, T, past, c.attentionWindow()));
    }
    return new Positions(full, sliding);
  }

  /**
   * The global inv_freq (rd/2) of a forward reaching position {@code reach} - 1 past the trained
   * length: dynamic NTK's grown base, or longrope's long factors.
   */
  private NDArray grownFrequencies(NDManager m, long reach) {
    RopeScaling s = c.ropeScaling();
    if (s.ropeType().equals("dynamic"))
      return inverseFrequencies(m, RopeScalings.dynamicTheta(c, reach));
    return RopeScalings.apply(
        s, inverseFrequencies(m, c.ropeTheta()), c.ropeTheta(), c.rotaryDim(), true);
  }

  /** (B, T) token ids → (B, T, C) embeddings (Gemma: scaled by √C). */
  public NDArray embed(NDArray ids) {
    String table = "model.embed_tokens.weight";
    NDArray x =
        w.isBf16(table)
            ? Bf16.embedding(w.get(table), ids)
            : Embedding.embedding(ids, w.get(table), SparseFormat.DENSE).singletonOrThrow();
    return c.gemma() ? x.mul(embedScale) : x;
  }

  /**
   * Decoder layer {@code i}: (B, T, C) → (B, T, C). Run it through {@link Scoped#keep}, as {@link
   * #forward} does, so that the intermediates autograd does not keep (half of a layer's) are freed
   * at once rather than when the batch's scope closes.
   */
  public NDArray layer(int i, NDArray x, Positions at, KvCache cache, boolean training) {
    String p = "model.layers." + i + ".";
    Rotary r = at.of(c.slidingLayer(i));
    NDArray h = rmsNorm(x, w.get(p + "input_layernorm.weight"));
    if (!c.gemma()) {
      x = x.add(attention(h, p + "self_attn.", i, r, cache, training));
      h = rmsNorm(x, w.get(p + "post_attention_layernorm.weight"));
      return x.add(mlp(h, p + "mlp.", training));
    }
    // Gemma's sandwich: each sublayer's output is normalised before its residual add
    NDArray a = attention(h, p + "self_attn.", i, r, cache, training);
    x = x.add(rmsNorm(a, w.get(p + "post_attention_layernorm.weight")));
    h = rmsNorm(x, w.get(p + "pre_feedforward_layernorm.weight"));
    return x.add(
        rmsNorm(mlp(h, p + "mlp.", training), w.get(p + "post_feedforward_layernorm.weight")));
  }

  /** The final RMSNorm and lm_head: (…, C) → (…, V) float32 logits (Gemma 2: soft-capped). */
  public NDArray head(NDArray x) {
    String name = c.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
    NDArray normed = rmsNorm(x, w.get("model.norm.weight"));
    NDArray logits =
        w.isBf16(name)
            ? Bf16.linear(normed, w.lmHead())
            : matmul(normed, Cast.to(w.lmHead(), compute), null); // (…, V)
    return finalCap == null ? logits : softcap(logits, finalCap);
  }

  /** cap · tanh(x / cap): logits squashed smoothly into (-cap, cap). */
  private static NDArray softcap(NDArray x, NDArray cap) {
    return x.div(cap).tanh().mul(cap);
  }

  private NDArray attention(
      NDArray x, String p, int layer, Rotary at, KvCache cache, boolean training) {
    long B = x.getShape().get(0), T = x.getShape().get(1);
    int nH = c.numAttentionHeads(), nKv = c.numKeyValueHeads(), hd = c.headDim();
    NDList qkv = projectQkv(x, p, training); // (B, T, nH·hd), (B, T, nKv·hd), (B, T, nKv·hd)
    NDArray q = qkv.get(0).reshape(B, T, nH, hd).transpose(0, 2, 1, 3);
    NDArray k = qkv.get(1).reshape(B, T, nKv, hd).transpose(0, 2, 1, 3);
    NDArray v = qkv.get(2).reshape(B, T, nKv, hd).transpose(0, 2, 1, 3);
    if (c.qkNorm()) { // Qwen3: each head's queries and keys RMS-normalised over hd first
      q = rmsNorm(q, w.get(p + "q_norm.weight"));
      k = rmsNorm(k, w.get(p + "k_norm.weight"));
    }
    q = kernels.rope(q, at.cos(), at.sin()); // (B, nH, T, hd)
    k = kernels.rope(k, at.cos(), at.sin()); // (B, nKv, T, hd)
    if (cache != null) {
      NDArray[] kv = cache.append(layer, k, v);
      k = kv[0];
      v = kv[1]; // (B, nKv, Tk, hd)
    }
    NDArray y = kernels.attention(q, k, v, at.bias(), attnScale, attnCap); // (B, nH, T, hd)
    y = y.transpose(0, 2, 1, 3).reshape(B, T, (long) nH * hd);
    return linear(y, p + "o_proj", training);
  }

  /**
   * Queries, keys and values before heads are split: three projections, or (Phi-3) one fused
   * qkv_proj whose output rows are [q ‖ k ‖ v], split here.
   */
  private NDList projectQkv(NDArray x, String p, boolean training) {
    long q = (long) c.numAttentionHeads() * c.headDim(),
        kv = (long) c.numKeyValueHeads() * c.headDim();
    if (c.fusedProjections())
      return linear(x, p + "qkv_proj", training).split(new long[] {q, q + kv}, 2);
    return new NDList(
        linear(x, p + "q_proj", training),
        linear(x, p + "k_proj", training),
        linear(x, p + "v_proj", training));
  }

  private NDArray mlp(NDArray x, String p, boolean training) {
    NDArray gate, up;
    if (c.fusedProjections()) { // Phi-3: gate_up_proj's output is [gate ‖ up], (B, T, 2·I)
      NDList gateUp = linear(x, p + "gate_up_proj", training).split(2, 2);
      gate = gateUp.get(0);
      up = gateUp.get(1);
    } else {
      gate = linear(x, p + "gate_proj", training);
      up = linear(x, p + "up_proj", training);
    }
    NDArray act = c.gemma() ? geluTanh(gate).mul(up) : kernels.swiglu(gate, up); // (B, T, I)
    return linear(act, p + "down_proj", training);
  }

  /** ½x(1 + tanh(√(2/π)(x + 0.044715x³))), torch's gelu(approximate="tanh"). */
  private NDArray geluTanh(NDArray x) {
    // x·x·x as torch's kernel computes the cube; never pow(3): DJL turns a Java number into a
    // tensor over a borrowed buffer that a garbage collection frees before backward reads it
    // (NaN gradients in a Gemma run that followed another in the same JVM; see Scalars)
    NDArray inner = x.add(x.mul(x).mul(x).mul(geluKappa)).mul(geluBeta);
    return x.mul(half).mul(inner.tanh().add(one));
  }

  private NDArray linear(NDArray x, String module, boolean training) {
    String name = module + ".weight";
    NDArray weight = w.weight(name, compute, x.getManager()); // (out, in)
    NDArray bias = w.tensors().get(module + ".bias");
    NDArray y;
    if (bf16Matmuls || w.isBf16(name)) { // the matmul in bf16, the bias added in float32
      y = Bf16.linear(x, weight);
      if (bias != null) y = y.add(bias);
    } else {
      y = matmul(x, weight, bias);
    }
    return hook == null ? y : hook.apply(module, x, y, training);
  }

  /** x·Wᵀ + b in the weight's dtype, returned as float32; (…, in) → (…, out). */
  private NDArray matmul(NDArray x, NDArray weight, NDArray bias) {
    DataType t = weight.getDataType();
    NDArray y =
        Linear.linear(Cast.to(x, t), weight, bias == null ? null : Cast.to(bias, t))
            .singletonOrThrow();
    return Cast.to(y, DataType.FLOAT32);
  }

  /**
   * x / sqrt(mean(x²) + eps) · weight, in float32 as transformers does; Gemma stores the weight as
   * an offset from 1: · (1 + weight).
   */
  private NDArray rmsNorm(NDArray x, NDArray weight) {
    return kernels.rmsNorm(x, c.gemma() ? weight.add(one) : weight, eps);
  }

  /**
   * cos and sin of position·inv_freq, duplicated to rd as transformers' cat((f, f), -1), times
   * yarn's or longrope's attention factor when there is one ({@code scale}, else null).
   */
  private static NDArray[] rope(NDArray positions, NDArray invFreq, NDArray scale) {
    NDArray f =
        positions.toType(DataType.FLOAT32, false).expandDims(-1).mul(invFreq); // (B, T, rd/2)
    NDArray emb = f.concat(f, -1).expandDims(1); // (B, 1, T, rd)
    if (scale == null) return new NDArray[] {emb.cos(), emb.sin()};
    return new NDArray[] {emb.cos().mul(scale), emb.sin().mul(scale)};
  }

  /**
   * Additive mask: 0 where query t (absolute position past+t) may see key j — j ≤ past+t, j not
   * padding and, with a {@code window}, j among the last {@code window} positions up to past+t —
   * and the float32 minimum elsewhere. (B|1, 1, 1, T, Tk).
   */
  private NDArray attentionBias(NDManager m, NDArray mask, long B, long T, long past, int window) {
    long Tk = past + T;
    if (mask == null && T == 1 && (window <= 0 || Tk <= window)) {
      return null; // a decode step without padding sees every key: no mask to add
    }
    NDArray qIdx = arange(m, past, past + T).reshape(T, 1);
    NDArray kIdx = arange(m, 0, Tk).reshape(1, Tk);
    NDArray allowed = kIdx.lte(qIdx); // (T, Tk)
    if (window > 0) { // a sliding layer sees its last `window` keys, itself included
      allowed = allowed.logicalAnd(kIdx.gt(qIdx.sub(window)));
    }
    if (mask != null) {
      if (mask.getShape().get(1) != Tk) {
        throw new IllegalArgumentException(
            "attention mask covers " + mask.getShape().get(1) + " positions, expected " + Tk);
      }
      allowed =
          allowed.expandDims(0).logicalAnd(mask.reshape(B, 1, Tk).toType(DataType.BOOLEAN, false));
    } else {
      allowed = allowed.expandDims(0);
    }
    // (allowed - 1) · max: 0 where allowed, -max where not; `where` does not broadcast here
    NDArray bias = allowed.toType(DataType.FLOAT32, false).subi(one).muli(maskValue);
    return bias.reshape(new Shape(bias.getShape().get(0), 1, 1, T, Tk));
  }

  static NDArray arange(NDManager m, long from, long to) {
    return m.arange(Math.toIntExact(from), Math.toIntExact(to), 1, DataType.INT64);
  }
}
