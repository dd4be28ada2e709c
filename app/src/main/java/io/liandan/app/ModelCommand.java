package io.liandan.app;

import ai.djl.ndarray.NDManager;
import io.liandan.llm.stage.Devices;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code liandan model}: run the engine on a checkpoint directly, without a pipeline. */
@Command(
    name = "model",
    mixinStandardHelpOptions = true,
    description = "Inspect a model: forward pass, generation, LoRA merge.",
    subcommands = {ModelForward.class, ModelGenerate.class, ModelMerge.class})
final class ModelCommand {

  /** Options every model subcommand shares. */
  static final class DeviceOption {
    @Option(
        names = "--device",
        defaultValue = "cpu",
        description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
    String device;

    /** The checked device's manager: a bad name or a missing GPU fails here, with the fix. */
    NDManager manager() {
      return Devices.manager(device);
    }
  }
}
