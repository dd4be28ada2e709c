package io.liandan.app;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code liandan model}: run the engine on a checkpoint directly, without a pipeline. */
@Command(
    name = "model",
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

    NDManager manager() {
      String d = device.equals("cuda") ? "gpu0" : device.replace("cuda:", "gpu");
      return NDManager.newBaseManager(Device.fromName(d));
    }
  }
}
