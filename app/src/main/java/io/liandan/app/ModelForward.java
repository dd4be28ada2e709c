package io.liandan.app;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.safetensors.CheckpointException;
import io.liandan.llm.safetensors.SafetensorsFile;
import io.liandan.llm.safetensors.SafetensorsWriter;
import io.liandan.llm.tensor.NoGrad;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code liandan model forward}: logits for the ids in a safetensors file. */
@Command(
    name = "forward",
    mixinStandardHelpOptions = true,
    description = "Write float32 logits for input_ids (and attention_mask).")
final class ModelForward implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "Hugging Face model folder")
  Path model;

  @Option(names = "--adapter", description = "PEFT LoRA adapter folder")
  Path adapter;

  @Option(
      names = "--input",
      required = true,
      description = "safetensors with int64 input_ids [B, T] and optional attention_mask")
  Path input;

  @Option(
      names = "--output",
      required = true,
      description = "safetensors to write, holding float32 logits [B, T, V]")
  Path output;

  @Mixin ModelCommand.DeviceOption device;

  @Override
  public Integer call() {
    try (NDManager m = device.manager();
        NoGrad ng = new NoGrad();
        DecoderWeights w = DecoderWeights.load(model, m, LoadReport.stderr(model));
        LoraAdapter lora = adapter == null ? null : LoraAdapter.load(adapter, w)) {
      NDArray ids, mask = null;
      try (SafetensorsFile in = SafetensorsFile.open(input)) {
        if (!in.tensors().containsKey("input_ids")) {
          throw new CheckpointException(input + ": missing tensor 'input_ids'");
        }
        ids = m.create(in.readInt64("input_ids"), new Shape(in.tensors().get("input_ids").shape()));
        if (in.tensors().containsKey("attention_mask")) {
          mask =
              m.create(
                  in.readInt64("attention_mask"),
                  new Shape(in.tensors().get("attention_mask").shape()));
          if (!mask.getShape().equals(ids.getShape())) {
            throw new CheckpointException(
                input
                    + ": tensor 'attention_mask' has shape "
                    + mask.getShape()
                    + ", expected "
                    + ids.getShape()
                    + " like input_ids");
          }
        }
      }
      if (ids.getShape().dimension() != 2) {
        throw new CheckpointException(
            input + ": tensor 'input_ids' must be [batch, seq], got " + ids.getShape());
      }
      Decoder net = new Decoder(w);
      net.setHook(lora);
      NDArray logits = net.forward(ids, mask, false);
      new SafetensorsWriter()
          .put("logits", logits.toFloatArray(), logits.getShape().getShape())
          .write(output);
    }
    return 0;
  }
}
