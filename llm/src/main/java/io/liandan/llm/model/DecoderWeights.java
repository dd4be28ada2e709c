package io.liandan.llm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.liandan.llm.amp.Cast;
import io.liandan.llm.kernels.Bf16;
import io.liandan.llm.kernels.Widening;
import io.liandan.llm.quant.Nf4Quantizer;
import io.liandan.llm.quant.Nf4Tensor;
import io.liandan.llm.safetensors.SafetensorsCheckpoint;
import io.liandan.llm.safetensors.TensorInfo;
import io.liandan.llm.tensor.Tensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tensors of a model of the families {@link DecoderConfig} reads, under their Hugging Face
 * names (Phi-3's fused qkv_proj and gate_up_proj kept fused), float32 (the decoder's linears
 * optionally NF4 for Q-LoRA), owned by one long-lived manager. Loads from a safetensors checkpoint
 * (checking every name and shape), initialises at random from a config, and nothing else: the
 * forward pass lives in {@link Decoder}, saving in {@link CheckpointWriter}.
 */
public final class DecoderWeights implements AutoCloseable {
  private final DecoderConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> tensors; // HF name -> float32 tensor, in checkpoint order
  private final Map<String, Nf4Tensor> quantized = new LinkedHashMap<>(); // frozen NF4 linears
  private final Map<String, NDArray> bf16 = new LinkedHashMap<>(); // frozen bf16 (Bf16)
  private final List<String> order; // every name, float or NF4, in checkpoint order

  private DecoderWeights(DecoderConfig config, NDManager manager, Map<String, NDArray> tensors) {
    this(config, manager, tensors, List.copyOf(tensors.keySet()));
  }

  private DecoderWeights(
      DecoderConfig config, NDManager manager, Map<String, NDArray> tensors, List<String> order) {
    this.config = config;
    this.manager = manager;
    this.tensors = tensors;
    this.order = order;
  }

  /**
   * Every tensor a checkpoint of this config must hold, with its shape, in Hugging Face's order.
   */
  public static Map<String, Shape> expectedShapes(DecoderConfig c) {
    long C = c.hiddenSize(), I = c.intermediateSize(), V = c.vocabSize();
    long q = (long) c.numAttentionHeads() * c.headDim(),
        kv = (long) c.numKeyValueHeads() * c.headDim();
    Map<String, Shape> m = new LinkedHashMap<>();
    m.put("model.embed_tokens.weight", new Shape(V, C));
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      String p = "model.layers." + i + ".";
      m.put(p + "input_layernorm.weight", new Shape(C));
      if (c.fusedProjections()) { // Phi-3: rows [q ‖ k ‖ v], no biases
        m.put(p + "self_attn.qkv_proj.weight", new Shape(q + 2 * kv, C));
      } else {
        m.put(p + "self_attn.q_proj.weight", new Shape(q, C));
        if (c.qkvBias()) m.put(p + "self_attn.q_proj.bias", new Shape(q));
        m.put(p + "self_attn.k_proj.weight", new Shape(kv, C));
        if (c.qkvBias()) m.put(p + "self_attn.k_proj.bias", new Shape(kv));
        m.put(p + "self_attn.v_proj.weight", new Shape(kv, C));
        if (c.qkvBias()) m.put(p + "self_attn.v_proj.bias", new Shape(kv));
      }
      m.put(p + "self_attn.o_proj.weight", new Shape(C, q));
      if (c.outputBias()) m.put(p + "self_attn.o_proj.bias", new Shape(C));
      if (c.qkNorm()) {
        m.put(p + "self_attn.q_norm.weight", new Shape(c.headDim()));
        m.put(p + "self_attn.k_norm.weight", new Shape(c.headDim()));
      }
      m.put(p + "post_attention_layernorm.weight", new Shape(C));
      if (c.gemma()) { // sandwich norms around the MLP
        m.put(p + "pre_feedforward_layernorm.weight", new Shape(C));
        m.put(p + "post_feedforward_layernorm.weight", new Shape(C));
      }
      if (c.fusedProjections()) { // Phi-3: rows [gate ‖ up]
        m.put(p + "mlp.gate_up_proj.weight", new Shape(2 * I, C));
      } else {
        m.put(p + "mlp.gate_proj.weight", new Shape(I, C));
        m.put(p + "mlp.up_proj.weight", new Shape(I, C));
      }
      m.put(p + "mlp.down_proj.weight", new Shape(C, I));
    }
    m.put("model.norm.weight", new Shape(C));
    if (!c.tieWordEmbeddings()) m.put("lm_head.weight", new Shape(V, C));
    return m;
  }

  /** Told after each tensor how many of the checkpoint's bytes are loaded, of how many. */
  @FunctionalInterface
  public interface LoadProgress {
    LoadProgress NONE = (done, total) -> {};

    void loaded(long bytes, long totalBytes);
  }

  /** Loads {@code dir} (config.json + model.safetensors or a sharded index). */
  public static DecoderWeights load(Path dir, NDManager manager) {
    return load(dir, manager, LoadProgress.NONE);
  }

  /** {@link #load(Path, NDManager)}, telling {@code progress} after each tensor. */
  public static DecoderWeights load(Path dir, NDManager manager, LoadProgress progress) {
    return load(dir, manager, progress, false);
  }

  /**
   * {@link #load(Path, NDManager, LoadProgress)}; with {@code frozenBf16} the matrices ({@link
   * #isBf16Candidate}: the linears, the embedding, lm_head) are kept in bfloat16 for a model that
   * does not train them — generation, the base under LoRA, a DPO reference — at half their memory,
   * multiplied by {@link Bf16}; norms and biases stay float32.
   */
  public static DecoderWeights load(
      Path dir, NDManager manager, LoadProgress progress, boolean frozenBf16) {
    DecoderConfig config = DecoderConfig.load(dir);
    Map<String, Shape> shapes = expectedShapes(config);
    List<String> names = List.copyOf(shapes.keySet());
    NDArray[] read = new NDArray[names.size()];
    try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(dir)) {
      long total = 0;
      for (String name : names) total += ckpt.info(name).bytes();
      long all = total;
      AtomicInteger next = new AtomicInteger();
      long[] done = {0};
      AtomicBoolean stop = new AtomicBoolean();
      // readers take the next tensor until none is left: one reads while another's chunk is
      // widened by torch, and a sharded checkpoint's files are read side by side (positioned
      // reads: they share the files); each has its own chunk buffer
      Runnable reader =
          () -> {
            try (Widening widening = new Widening()) {
              for (int i; (i = next.getAndIncrement()) < read.length; ) {
                if (stop.get()) return;
                String name = names.get(i);
                read[i] =
                    frozenBf16 && isBf16Candidate(name)
                        ? readBf16(ckpt, name, shapes.get(name), widening, manager)
                        : readFloat32(ckpt, name, shapes.get(name), widening, manager);
                synchronized (done) {
                  progress.loaded(done[0] += ckpt.info(name).bytes(), all);
                }
              }
            } catch (RuntimeException | Error e) {
              stop.set(true); // the other readers stop at their next tensor
              throw e;
            }
          };
      inParallel(reader, Math.min(LOAD_READERS, names.size()));
    } catch (RuntimeException e) {
      for (NDArray a : read) if (a != null) a.close();
      throw e;
    }
    Map<String, NDArray> t = new LinkedHashMap<>(), half = new LinkedHashMap<>();
    for (int i = 0; i < read.length; i++)
      (frozenBf16 && isBf16Candidate(names.get(i)) ? half : t).put(names.get(i), read[i]);
    DecoderWeights w = new DecoderWeights(config, manager, t, names);
    w.bf16.putAll(half);
    return w;
  }

  /** Tensors read at once while loading: enough to overlap reading with widening. */
  private static final int LOAD_READERS =
      Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

  /**
   * Runs {@code task} on the calling thread and {@code n - 1} others, and waits for all; the first
   * failure is rethrown once all have stopped.
   */
  private static void inParallel(Runnable task, int n) {
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
    for (int i = 1; i < n; i++) {
      Thread th = new Thread(task, "liandan-load-" + i);
      th.setDaemon(true);
      th.setUncaughtExceptionHandler((x, e) -> failures.add(e));
      threads.add(th);
      th.start();
    }
    try {
      task.run();
    } catch (RuntimeException | Error e) {
      failures.add(0, e);
    }
    for (Thread th : threads) {
      try {
        th.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failures.add(e);
      }
    }
    if (failures.isEmpty()) return;
    Throwable first = failures.get(0);
    if (first instanceof RuntimeException r) throw r;
    if (first instanceof Error err) throw err;
    throw new IllegalStateException("loading interrupted", first);
  }

  /** The tensors {@code frozenBf16} loading keeps in bf16: every matrix of a matmul or lookup. */
  public static boolean isBf16Candidate(String name) {
    return isQuantizable(name)
        || name.equals("model.embed_tokens.weight")
        || name.equals("lm_head.weight");
  }

  /** One tensor as bfloat16 (see {@link Bf16}), F32/F16/BF16 as stored; F64 is refused. */
  private static NDArray readBf16(
      SafetensorsCheckpoint ckpt, String name, Shape expected, Widening widening, NDManager m) {
    TensorInfo info = ckpt.expectShape(name, expected.getShape());
    Widening.Stored stored =
        switch (info.dtype()) {
          case BF16 -> Widening.Stored.BF16;
          case F16 -> Widening.Stored.F16;
          case F32 -> Widening.Stored.F32;
          default ->
              throw new IllegalArgumentException(
                  name + ": " + info.dtype() + " cannot be loaded as bfloat16");
        };
    // unnamed: DJL's differentiable module call packs named inputs into a dict argument
    return widening.toBf16((at, dst) -> ckpt.read(name, at, dst), stored, expected, m);
  }

  /**
   * Reads one tensor as float32 into memory that {@code manager} owns: F32, F16 and BF16 straight
   * from the file into libtorch, which widens them ({@link Widening}); F64 rounded in Java.
   *
   * @param expected the shape the tensor must have; null = as stored
   */
  public static NDArray readFloat32(
      SafetensorsCheckpoint ckpt,
      String name,
      Shape expected,
      Widening widening,
      NDManager manager) {
    TensorInfo info =
        expected == null ? ckpt.info(name) : ckpt.expectShape(name, expected.getShape());
    Shape shape = new Shape(info.shape());
    Widening.Stored stored =
        switch (info.dtype()) {
          case BF16 -> Widening.Stored.BF16;
          case F16 -> Widening.Stored.F16;
          case F32 -> Widening.Stored.F32;
          default -> null;
        };
    NDArray out;
    if (stored != null) {
      out = widening.toFloat32((at, dst) -> ckpt.read(name, at, dst), stored, shape, manager);
    } else {
      try (NDArray view = manager.create(ckpt.readFloat32(name), shape)) {
        out = Tensors.ownedCopy(view);
      }
    }
    out.setName(name);
    return out;
  }

  /**
   * Random initialisation as transformers' {@code _init_weights} does it: linear and embedding
   * weights ~ N(0, initializer_range), biases 0, norms the identity. Deterministic given {@code
   * seed}.
   */
  public static DecoderWeights random(DecoderConfig config, long seed, NDManager manager) {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
    Map<String, NDArray> t = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> e : expectedShapes(config).entrySet()) {
      String n = e.getKey();
      Shape s = e.getValue();
      NDArray a;
      if (n.endsWith("norm.weight")) { // the identity: 1, or Gemma's offset 0 from 1
        a = config.gemma() ? manager.zeros(s) : manager.ones(s);
      } else if (n.endsWith(".bias")) {
        a = manager.zeros(s);
      } else {
        a = gaussian(rng, s, config.initializerRange(), manager);
      }
      a.setName(n);
      t.put(n, a);
    }
    return new DecoderWeights(config, manager, t);
  }

  /**
   * N(0, std) from a Java RNG, so that the same seed gives the same model on any device. Drawn a
   * chunk at a time into the tensor: a whole-tensor float[] (the embedding's is 545 MB at Qwen2.5's
   * vocabulary) grew the Java heap, whose pages the process keeps, by about the model's size.
   */
  static NDArray gaussian(java.util.SplittableRandom rng, Shape s, double std, NDManager manager) {
    long n = s.size();
    NDArray out = manager.zeros(s);
    float[] v = new float[(int) Math.min(GAUSSIAN_CHUNK, n)];
    try (NDArray flat = out.reshape(n)) { // a view: writes land in out
      for (long at = 0; at < n; at += v.length) {
        int len = (int) Math.min(v.length, n - at);
        // Box-Muller in pairs (SplittableRandom has no nextGaussian on JDK 17); chunks are even,
        // so pairs never straddle two chunks and the draws are those of one pass over the tensor
        for (int i = 0; i < len; i += 2) {
          double u1 = 1.0 - rng.nextDouble(), u2 = rng.nextDouble();
          double r = Math.sqrt(-2 * Math.log(u1)) * std;
          v[i] = (float) (r * Math.cos(2 * Math.PI * u2));
          if (i + 1 < len) v[i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
        }
        try (NDArray chunk = manager.create(len == v.length ? v : Arrays.copyOf(v, len))) {
          flat.set(new NDIndex().addSliceDim(at, at + len), chunk);
        }
      }
    }
    return out;
  }

  private static final int GAUSSIAN_CHUNK = 1 << 20; // floats; even

  public DecoderConfig config() {
    return config;
  }

  public NDManager manager() {
    return manager;
  }

  /** The decoder's linear weights, the ones Q-LoRA stores in NF4 (QLoRA's choice). */
  public static boolean isQuantizable(String name) {
    return name.startsWith("model.layers.")
        && name.endsWith("_proj.weight")
        && (name.contains(".self_attn.") || name.contains(".mlp."));
  }

  /**
   * Replaces the decoder's linear weights (q/k/v/o/gate/up/down) with NF4 copies, freeing the
   * float32 ones; embeddings, norms, biases and lm_head stay float32. For Q-LoRA: frozen from here
   * on (adapters train beside them, nothing merges into them).
   */
  public void quantizeLinears(boolean doubleQuant) {
    for (String name : new ArrayList<>(tensors.keySet())) {
      if (!isQuantizable(name)) continue;
      NDArray w = tensors.remove(name);
      quantized.put(name, Nf4Quantizer.quantize(w, doubleQuant));
      w.close();
    }
  }

  /** Whether {@link #quantizeLinears} ran. */
  public boolean quantized() {
    return !quantized.isEmpty();
  }

  /** Bytes of the NF4 weights on the device (0 when not quantized). */
  public long quantizedBytes() {
    return quantized.values().stream().mapToLong(Nf4Tensor::bytes).sum();
  }

  /** The shape of tensor {@code name}, float or NF4. */
  public Shape shape(String name) {
    Nf4Tensor q = quantized.get(name);
    return q != null ? q.shape() : get(name).getShape();
  }

  /**
   * Weight {@code name} for a matmul in {@code type}: the stored tensor (cast when {@code type} is
   * not float32, differentiably, so a float32 master gets the gradient), or an NF4 weight
   * dequantized into {@code m} for this forward pass only.
   */
  public NDArray weight(String name, DataType type, NDManager m) {
    Nf4Tensor q = quantized.get(name);
    if (q != null) return q.dequantize(m, type);
    NDArray half = bf16.get(name);
    if (half != null) return half; // multiplied by Bf16, whatever the compute type
    return Cast.to(get(name), type);
  }

  /**
   * Converts the float32 matrices {@link #isBf16Candidate} names to bf16, freeing the float32 ones
   * (a tensor at a time): for weights that were loaded in float32 to be changed first (adapters
   * merged into the base) or quantized (Q-LoRA's embedding and lm_head beside NF4 linears).
   */
  public void freezeInBf16() {
    for (String name : new ArrayList<>(tensors.keySet())) {
      if (!isBf16Candidate(name)) continue;
      NDArray f = tensors.remove(name);
      bf16.put(name, Bf16.of(f));
      f.close();
    }
  }

  /**
   * Whether tensor {@code name} is kept in bfloat16 (see {@link #load(Path, NDManager,
   * LoadProgress, boolean)}).
   */
  public boolean isBf16(String name) {
    return bf16.containsKey(name);
  }

  /** Whether any tensor is kept in bfloat16. */
  public boolean frozenBf16() {
    return !bf16.isEmpty();
  }

  /** Every tensor name, float and NF4, in checkpoint order. */
  public List<String> names() {
    return order;
  }

  /**
   * These weights, float and NF4, moved to {@code target}'s device and owned by it; this object is
   * left empty. Q-LoRA quantizes on the host first, so the float32 model never sits on the GPU.
   */
  public DecoderWeights moveTo(NDManager target) {
    Map<String, NDArray> t = new LinkedHashMap<>();
    for (String name : order) {
      if (tensors.containsKey(name)) t.put(name, Tensors.move(tensors.get(name), target));
    }
    DecoderWeights out = new DecoderWeights(config, target, t, order);
    quantized.forEach((name, q) -> out.quantized.put(name, q.moveTo(target)));
    bf16.forEach((name, a) -> out.bf16.put(name, Tensors.move(a, target)));
    tensors.clear();
    quantized.clear();
    bf16.clear();
    return out;
  }

  /**
   * The tensor named {@code name}: float32, or bfloat16 where {@link #isBf16} (compute with it
   * through {@link Bf16} only); throws when the model has none.
   */
  public NDArray get(String name) {
    NDArray a = tensors.containsKey(name) ? tensors.get(name) : bf16.get(name);
    if (a == null && quantized.containsKey(name))
      throw new IllegalStateException("'" + name + "' is NF4-quantized: use weight()");
    if (a == null) throw new IllegalArgumentException("no tensor '" + name + "' in this model");
    return a;
  }

  /** The output projection: lm_head, or the embedding when the config ties them. */
  public NDArray lmHead() {
    return config.tieWordEmbeddings() ? get("model.embed_tokens.weight") : get("lm_head.weight");
  }

  /**
   * The float32 tensors by name, in checkpoint order (read-only view); NF4 and bf16 ones not
   * included.
   */
  public Map<String, NDArray> tensors() {
    return Collections.unmodifiableMap(tensors);
  }

  /** Total number of parameters. */
  public long parameterCount() {
    return tensors.values().stream().mapToLong(a -> a.getShape().size()).sum()
        + bf16.values().stream().mapToLong(a -> a.getShape().size()).sum()
        + quantized.values().stream().mapToLong(q -> q.shape().size()).sum();
  }

  @Override
  public void close() {
    tensors.values().forEach(NDArray::close);
    bf16.values().forEach(NDArray::close);
    quantized.values().forEach(Nf4Tensor::close);
  }
}
