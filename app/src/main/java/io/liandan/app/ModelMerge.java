package io.liandan.app;

import ai.djl.ndarray.NDManager;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.CheckpointWriter;
import io.liandan.llm.model.DecoderWeights;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code liandan model merge}: base + LoRA adapter → a plain Hugging Face checkpoint. */
@Command(
    name = "merge",
    mixinStandardHelpOptions = true,
    description = "Merge a PEFT LoRA adapter into its base model (W + alpha/r·B·A).")
final class ModelMerge implements Callable<Integer> {
  @Option(names = "--model", required = true)
  Path model;

  @Option(names = "--adapter", required = true)
  Path adapter;

  @Option(
      names = "--output",
      required = true,
      description = "new model folder (must not exist or be empty)")
  Path output;

  @Option(
      names = "--dtype",
      description = "float32, bfloat16 or float16 (default: the base model's torch_dtype)")
  String dtype;

  @Mixin ModelCommand.DeviceOption device;

  @Override
  public Integer call() {
    try (NDManager m = device.manager();
        DecoderWeights w = DecoderWeights.load(model, m, LoadReport.stderr(model));
        LoraAdapter lora = LoraAdapter.load(adapter, w)) {
      lora.mergeInto(w);
      String storage = dtype != null ? dtype : w.config().torchDtype();
      CheckpointWriter.save(w, output, storage, model);
      System.err.println(
          "merged " + adapter + " into " + model + " -> " + output + " (" + storage + ")");
    }
    return 0;
  }
}
