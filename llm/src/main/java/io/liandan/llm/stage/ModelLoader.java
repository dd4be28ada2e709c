package io.liandan.llm.stage;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.DecoderConfig;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.spec.ModelSource;
import java.nio.file.Path;

/**
 * Turns a {@link ModelSource} into weights on a device: load or initialise, then merge adapters.
 */
public final class ModelLoader {
  private ModelLoader() {}

  /**
   * A manager on {@code device} ("cpu", "cuda", "cuda:N"), checked by {@link Devices}: "cuda:1"
   * used to become DJL's unparseable "gpu:1".
   */
  public static NDManager manager(String device) {
    return Devices.manager(device);
  }

  /**
   * Q-LoRA's base: {@link #load}, the decoder linears quantized to NF4 on the host, then all moved
   * to {@code manager}'s device — so that a GPU never holds the float32 model (a 7B one would not
   * fit the cards Q-LoRA is for). On the CPU it quantizes in place.
   */
  public static DecoderWeights loadQuantized(
      ModelSource source, NDManager manager, long seed, boolean doubleQuant, boolean frozenBf16) {
    if (!manager.getDevice().isGpu()) {
      DecoderWeights w = load(source, manager, seed);
      w.quantizeLinears(doubleQuant);
      if (frozenBf16) w.freezeInBf16(); // what NF4 left: the embedding and lm_head
      return w;
    }
    try (NDManager host = NDManager.newBaseManager(Device.cpu())) {
      return quantizedOn(host, source, manager, seed, doubleQuant, frozenBf16);
    }
  }

  /** Loads and quantizes under {@code host}, then moves the result to {@code manager}. */
  static DecoderWeights quantizedOn(
      NDManager host,
      ModelSource source,
      NDManager manager,
      long seed,
      boolean doubleQuant,
      boolean frozenBf16) {
    try (DecoderWeights w = load(source, host, seed)) {
      w.quantizeLinears(doubleQuant);
      if (frozenBf16) w.freezeInBf16();
      return w.moveTo(manager);
    }
  }

  /**
   * The source's weights: loaded from its checkpoint, or initialised from its config.json with
   * {@code seed} (transformers' init), with each adapter merged in order.
   */
  public static DecoderWeights load(ModelSource source, NDManager manager, long seed) {
    return load(source, manager, seed, false);
  }

  /**
   * {@link #load(ModelSource, NDManager, long)}, the matrices kept in bf16 with {@code frozenBf16}
   * (see {@link DecoderWeights#freezeInBf16}): read as bf16 straight from a checkpoint, or
   * converted after the source's adapters are merged in float32.
   */
  public static DecoderWeights load(
      ModelSource source, NDManager manager, long seed, boolean frozenBf16) {
    if (frozenBf16 && !source.fromScratch() && source.adapters().isEmpty())
      return DecoderWeights.load(source.path(), manager, DecoderWeights.LoadProgress.NONE, true);
    DecoderWeights w = loadFloat32(source, manager, seed);
    if (frozenBf16) w.freezeInBf16();
    return w;
  }

  private static DecoderWeights loadFloat32(ModelSource source, NDManager manager, long seed) {
    Path dir = source.path();
    DecoderWeights w =
        source.fromScratch()
            ? DecoderWeights.random(DecoderConfig.load(dir), seed, manager)
            : DecoderWeights.load(dir, manager);
    try {
      for (String a : source.adapters()) {
        try (LoraAdapter lora = LoraAdapter.load(Path.of(a), w)) {
          lora.mergeInto(w);
        }
      }
      return w;
    } catch (RuntimeException e) {
      w.close();
      throw e;
    }
  }
}
