package io.liandan.llm.stage;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.liandan.llm.model.CheckpointWriter;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.spec.ModelSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The model a LoRA stage trained its adapter on, as PEFT's {@code base_model_name_or_path} must
 * name it. For a plain model folder that is the folder itself; for a source with earlier adapters
 * (DPO after SFT-LoRA) it is the folder with those adapters merged, which exists nowhere else: it
 * is written beside the adapter (stage folder/base, in save_dtype) so that {@code
 * PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_model_name_or_path),
 * adapter)} gives the stage's model. Naming the untouched PT model, as stages once did, gave a
 * model that never existed: the DPO adapter on a base without the SFT adapter.
 */
public final class AdapterBase {
  static final String FOLDER = "base";
  static final String NOTE = "BASE_MODEL.md";

  private AdapterBase() {}

  /**
   * Returns the path to write as base_model_name_or_path, writing the merged base into {@code
   * stageOut}/base first when {@code source} has adapters. {@code trained} are the weights the
   * adapter was trained beside: reused unless NF4 (Q-LoRA), in which case the float base is rebuilt
   * on the host from {@code source}.
   */
  public static String resolve(
      ModelSource source, DecoderWeights trained, Path stageOut, String dtype, long seed) {
    if (source.adapters().isEmpty()) return source.dir();
    Path base = stageOut.resolve(FOLDER).toAbsolutePath();
    CheckpointWriter.deleteRecursively(base); // an earlier attempt that died before result.json
    if (!trained.quantized()) {
      CheckpointWriter.save(trained, base, dtype, source.path());
    } else {
      try (NDManager host = NDManager.newBaseManager(Device.cpu());
          DecoderWeights plain = ModelLoader.load(source, host, seed)) {
        CheckpointWriter.save(plain, base, dtype, source.path());
      }
    }
    return base.toString();
  }

  /** A note in the adapter folder saying what its base is and how it was made. */
  public static void writeNote(Path adapter, ModelSource source, String base) {
    StringBuilder s = new StringBuilder("# The base model of this adapter\n\n");
    s.append("`adapter_config.json` names `").append(base).append("`");
    if (source.adapters().isEmpty()) {
      s.append(", the model folder this stage started from.\n");
    } else {
      s.append(
          ": the model this stage trained on, written by the stage. It is `"
              + source.dir()
              + "` with these LoRA adapters merged in order (W + alpha/r · B·A each):\n\n");
      for (String a : source.adapters()) s.append("- `").append(a).append("`\n");
      s.append(
          "\nTo rebuild it elsewhere, merge those adapters into that model in this order (PEFT's"
              + " `merge_and_unload`, or Liandan's merge stage with the same adapters).\n");
    }
    try {
      Files.writeString(adapter.resolve(NOTE), s.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(adapter + ": cannot write " + NOTE, e);
    }
  }
}
