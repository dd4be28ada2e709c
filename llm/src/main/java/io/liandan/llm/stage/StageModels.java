package io.liandan.llm.stage;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.liandan.llm.kernels.Kernels;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.optim.GradScaler;
import io.liandan.llm.train.DpoTrainer;
import io.liandan.spec.TrainRequest;
import io.liandan.spec.TrainingArgs;
import java.util.Map;

/**
 * What a training stage trains and compares against, loaded and wired: the weights (earlier
 * adapters merged, NF4 for Q-LoRA) on the stage's device, a fresh LoRA adapter or none, the decoder
 * with its kernels and fp16 compute type, and for full-fine-tuning DPO/KTO a frozen copy as the
 * reference. Closes everything it loaded, in reverse order.
 */
final class StageModels implements AutoCloseable {
  final NDManager manager;
  final DecoderWeights weights;
  final LoraAdapter lora; // null: full fine-tuning
  final Decoder model;
  final Kernels kernels;
  final GradScaler scaler; // fp16's loss scaling; null without fp16
  private final DecoderWeights frozen; // the full-FT reference copy, or null
  private final Decoder frozenModel;

  private StageModels(
      NDManager manager,
      DecoderWeights weights,
      LoraAdapter lora,
      DecoderWeights frozen,
      TrainingArgs args) {
    this.manager = manager;
    this.weights = weights;
    this.lora = lora;
    this.frozen = frozen;
    kernels = Kernels.named(args.kernels());
    model = new Decoder(weights);
    model.setHook(lora);
    model.setKernels(kernels);
    // fp16: float16 linears over float32 masters, with dynamic loss scaling; with NF4 the
    // dequantized weights come out as float16 directly
    scaler = args.fp16() ? new GradScaler() : null;
    if (args.fp16()) model.setComputeType(DataType.FLOAT16);
    // bf16: bf16 linears over float32 masters (the reference copy stays as loaded, as with fp16)
    model.setBf16Matmuls(args.bf16());
    frozenModel = frozen == null ? null : new Decoder(frozen);
    if (frozenModel != null) frozenModel.setKernels(kernels);
  }

  /** Loads the request's model on its device, as the stage's arguments ask. */
  static StageModels load(TrainRequest req) {
    TrainingArgs args = req.args();
    boolean dpo = req.stage().equals("dpo"), kto = req.stage().equals("kto");
    NDManager m = ModelLoader.manager(req.device());
    DecoderWeights w = null, frozen = null;
    LoraAdapter lora = null;
    try {
      w =
          args.quantizationBit() == 4
              ? ModelLoader.loadQuantized( // Q-LoRA: NF4 base
                  req.model(), m, args.seed(), args.doubleQuantization(), args.frozenBf16())
              : ModelLoader.load(req.model(), m, args.seed(), args.lora() && args.frozenBf16());
      lora = args.lora() ? LoraAdapter.init(args.loraConfig(), w, args.seed()) : null;
      if ((kto || (dpo && !args.preferenceLoss().referenceFree())) && lora == null) {
        // the full-FT reference copy
        frozen = ModelLoader.load(req.model(), m, args.seed(), args.frozenBf16());
      }
      return new StageModels(m, w, lora, frozen, args);
    } catch (RuntimeException e) {
      for (AutoCloseable c : new AutoCloseable[] {frozen, lora, w, m}) closeQuietly(c, e);
      throw e;
    }
  }

  /** What the optimizer updates: the adapter's matrices, or every weight. */
  Map<String, NDArray> trainable() {
    return lora != null ? lora.parameters() : weights.tensors();
  }

  /**
   * The model this stage started from, for DPO and KTO: the adapter switched off, or the frozen
   * copy for full fine-tuning — never the policy itself; null when there is neither.
   */
  DpoTrainer.Reference startModel() {
    if (lora != null) return DpoTrainer.Reference.adapterOff(model, lora);
    return frozenModel == null ? null : DpoTrainer.Reference.of(frozenModel);
  }

  private static void closeQuietly(AutoCloseable c, Exception primary) {
    if (c == null) return;
    try {
      c.close();
    } catch (Exception e) {
      primary.addSuppressed(e);
    }
  }

  @Override
  public void close() {
    // the reverse of loading, as the try-with-resources this replaces closed them
    if (frozen != null) frozen.close();
    if (lora != null) lora.close();
    weights.close();
    manager.close();
  }
}
