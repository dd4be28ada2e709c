package io.liandan.llm.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import io.liandan.llm.kernels.Widening;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.safetensors.CheckpointException;
import io.liandan.llm.safetensors.SafetensorsCheckpoint;
import io.liandan.llm.safetensors.SafetensorsWriter;
import io.liandan.llm.tensor.NoGrad;
import io.liandan.llm.tensor.Scalars;
import io.liandan.llm.tensor.Tensors;
import io.liandan.spec.LoraConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * LoRA adapters beside frozen linear layers, as PEFT computes them: y = x·Wᵀ + b + scale ·
 * B(A(dropout(x))), A (r, in) and B (out, r). Loads and saves PEFT's adapter folder, so adapters
 * move both ways; switches off without a second copy of the base (the DPO reference); merges into
 * the base weights. Beside NF4 base weights (Q-LoRA) the adapters stay float32; merging needs the
 * float base. Not here: DoRA, per-module ranks.
 */
public final class LoraAdapter implements Decoder.LinearHook, AutoCloseable {
  private static final String PEFT_PREFIX = "base_model.model.";

  private final LoraConfig config;
  private final float scale;
  private final NDArray scaleTensor; // torch-owned, see Scalars
  private final Map<String, NDArray[]> modules; // module name -> {A (r, in), B (out, r)}
  private boolean enabled = true;

  private LoraAdapter(LoraConfig config, Map<String, NDArray[]> modules) {
    this.config = config;
    this.scale = (float) config.scale();
    this.modules = modules;
    this.scaleTensor =
        modules.isEmpty()
            ? null
            : Scalars.of(modules.values().iterator().next()[0].getManager(), scale);
    if (scaleTensor != null) ai.djl.ndarray.NDScope.unregister(scaleTensor);
  }

  /** The linear modules of {@code base} (names without ".weight") that {@code config} targets. */
  public static List<String> targetedModules(LoraConfig config, DecoderWeights base) {
    List<String> out = new ArrayList<>();
    for (String name : base.names()) {
      if (!name.endsWith(".weight") || base.shape(name).dimension() != 2) continue;
      String module = name.substring(0, name.length() - ".weight".length());
      if (module.equals("model.embed_tokens")) continue; // an embedding, not a linear layer
      if (config.targets(module)) out.add(module);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "target_modules " + config.targetModules() + " match no linear layer of the model");
    }
    return out;
  }

  /**
   * Fresh adapters as PEFT initialises them: A ~ kaiming-uniform(a=√5) = U(±1/√in), B = 0, so the
   * model's output is unchanged at step 0. Deterministic given {@code seed}.
   */
  public static LoraAdapter init(LoraConfig config, DecoderWeights base, long seed) {
    requireValid(config);
    NDManager m = base.manager();
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, NDArray[]> modules = new LinkedHashMap<>();
    for (String module : targetedModules(config, base)) {
      Shape w = base.shape(module + ".weight"); // (out, in)
      long out = w.get(0), in = w.get(1);
      float[] a = new float[Math.toIntExact(config.r() * in)];
      double bound = 1.0 / Math.sqrt(in);
      for (int i = 0; i < a.length; i++) a[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
      modules.put(
          module,
          new NDArray[] {
            copyOf(m, a, new Shape(config.r(), in)), m.zeros(new Shape(out, config.r()))
          });
    }
    return new LoraAdapter(config, modules);
  }

  /**
   * Loads a PEFT adapter folder (adapter_config.json + adapter_model.safetensors) for {@code base}.
   */
  public static LoraAdapter load(Path dir, DecoderWeights base) {
    LoraConfig config = LoraConfig.read(LoraConfig.configFile(dir));
    Path file = dir.resolve("adapter_model.safetensors");
    Map<String, NDArray[]> modules = new LinkedHashMap<>();
    try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(file);
        Widening widening = Widening.forBytes(largest(ckpt))) {
      for (String module : targetedModules(config, base)) {
        Shape w = base.shape(module + ".weight");
        NDArray a = read(ckpt, widening, module, "lora_A", new Shape(config.r(), w.get(1)), base);
        NDArray b = read(ckpt, widening, module, "lora_B", new Shape(w.get(0), config.r()), base);
        modules.put(module, new NDArray[] {a, b});
      }
      for (String name : ckpt.names()) {
        String module =
            name.replaceFirst("^" + PEFT_PREFIX, "").replaceFirst("\\.lora_[AB]\\.weight$", "");
        if (!modules.containsKey(module)) {
          throw new CheckpointException(
              file
                  + ": tensor '"
                  + name
                  + "' is not a LoRA weight of a targeted module of this model");
        }
      }
    } catch (RuntimeException e) {
      modules.values().forEach(p -> closeAll(p));
      throw e;
    }
    return new LoraAdapter(config, modules);
  }

  private static NDArray read(
      SafetensorsCheckpoint ckpt,
      Widening widening,
      String module,
      String which,
      Shape shape,
      DecoderWeights base) {
    String name = PEFT_PREFIX + module + "." + which + ".weight";
    return DecoderWeights.readFloat32(ckpt, name, shape, widening, base.manager());
  }

  /** Bytes of the checkpoint's largest tensor: the staging one load's reads need. */
  private static long largest(SafetensorsCheckpoint ckpt) {
    return ckpt.names().stream().mapToLong(n -> ckpt.info(n).bytes()).max().orElse(0);
  }

  /**
   * Writes PEFT's folder layout into {@code dir}: adapter_model.safetensors (PEFT's key names) and
   * adapter_config.json, each file written to a temporary name and renamed.
   */
  public void save(Path dir, String baseModel) {
    try {
      Files.createDirectories(dir);
      SafetensorsWriter out = new SafetensorsWriter();
      for (var e : modules.entrySet()) {
        out.put(
            PEFT_PREFIX + e.getKey() + ".lora_A.weight",
            e.getValue()[0].toFloatArray(),
            e.getValue()[0].getShape().getShape());
        out.put(
            PEFT_PREFIX + e.getKey() + ".lora_B.weight",
            e.getValue()[1].toFloatArray(),
            e.getValue()[1].getShape().getShape());
      }
      out.write(dir.resolve("adapter_model.safetensors"));
      TreeSet<String> suffixes = new TreeSet<>();
      modules.keySet().forEach(mod -> suffixes.add(mod.substring(mod.lastIndexOf('.') + 1)));
      Path cfg = dir.resolve("adapter_config.json");
      Path tmp = dir.resolve("adapter_config.json.tmp");
      Files.writeString(
          tmp, config.toPeftJson(new ArrayList<>(suffixes), baseModel), StandardCharsets.UTF_8);
      Files.move(tmp, cfg, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": cannot write the adapter: " + e.getMessage(), e);
    }
  }

  @Override
  public NDArray apply(String module, NDArray x, NDArray y, boolean training) {
    NDArray[] ab = enabled ? modules.get(module) : null;
    if (ab == null) return y;
    NDArray h =
        training && config.loraDropout() > 0
            ? Dropout.dropout(x, (float) config.loraDropout(), true).singletonOrThrow()
            : x;
    NDArray low = Linear.linear(h, ab[0]).singletonOrThrow(); // (…, r)
    return y.add(Linear.linear(low, ab[1]).singletonOrThrow().muli(scaleTensor)); // (…, out)
  }

  /** Switches the adapters off (the base model alone) or back on; nothing is copied. */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public boolean enabled() {
    return enabled;
  }

  public LoraConfig config() {
    return config;
  }

  /** The trainable tensors by PEFT's live names (module.lora_A.weight), in a stable order. */
  public Map<String, NDArray> parameters() {
    Map<String, NDArray> p = new LinkedHashMap<>();
    modules.forEach(
        (mod, ab) -> {
          p.put(mod + ".lora_A.weight", ab[0]);
          p.put(mod + ".lora_B.weight", ab[1]);
        });
    return p;
  }

  /**
   * W ← W + scale·B·A for every adapted module, in float32, refusing a delta that holds NaN or
   * infinity (PEFT's safe_merge) before anything is changed.
   */
  public void mergeInto(DecoderWeights base) {
    if (base.quantized())
      throw new IllegalStateException(
          "cannot merge into NF4 base weights: merge into the float checkpoint the Q-LoRA run"
              + " started from (the merge stage loads it unquantized)");
    if (base.frozenBf16())
      throw new IllegalStateException(
          "cannot merge into bf16 frozen base weights: load the base in float32 to merge");
    try (NoGrad ng = new NoGrad()) {
      Map<String, NDArray> deltas = new LinkedHashMap<>();
      for (var e : modules.entrySet()) {
        NDArray delta = e.getValue()[1].matMul(e.getValue()[0]).muli(scale); // (out, in)
        deltas.put(e.getKey(), delta);
        if (delta.isNaN().any().getBoolean() || delta.isInfinite().any().getBoolean()) {
          deltas.values().forEach(NDArray::close);
          throw new IllegalStateException(
              "LoRA weights of " + e.getKey() + " hold NaN or infinity; refusing to merge");
        }
      }
      deltas.forEach(
          (module, d) -> {
            base.get(module + ".weight").addi(d);
            d.close();
          });
    }
  }

  private static NDArray copyOf(NDManager m, float[] v, Shape s) {
    try (NDArray view = m.create(v, s)) {
      return Tensors.ownedCopy(view);
    }
  }

  private static void requireValid(LoraConfig c) {
    if (!c.problems().isEmpty())
      throw new IllegalArgumentException(String.join("; ", c.problems()));
  }

  private static void closeAll(NDArray[] arrays) {
    for (NDArray a : arrays) a.close();
  }

  @Override
  public void close() {
    modules.values().forEach(LoraAdapter::closeAll);
    if (scaleTensor != null) scaleTensor.close();
  }
}
