package io.liandan.llm.stage;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code device} a stage runs on, checked before any work: {@code cpu}, {@code cuda} (the first
 * GPU) or {@code cuda:N}, mapped to DJL's names (gpu0, gpuN). Asking for CUDA when the engine has
 * no GPU fails with how to get CUDA natives, instead of DJL's later, vaguer error.
 */
public final class Devices {
  static final String CUDA_HELP =
      "build with CUDA natives instead of pytorch-native-cpu: mvn -Pcuda package"
          + " (pytorch-native-cu124 2.5.1), or mvn -Dpytorch.native.artifact=pytorch-native-cu128"
          + " -Dpytorch.native.version=2.7.1 package; see README, GPU: CUDA, fp16, Q-LoRA";

  private Devices() {}

  /**
   * What is wrong with {@code device}, as {@code device: message}; empty when it is well formed.
   */
  public static List<String> problems(String device) {
    List<String> p = new ArrayList<>();
    if (device == null || !device.matches("cpu|cuda(:\\d{1,3})?"))
      p.add("device: '" + device + "' is not cpu, cuda or cuda:N (N = GPU index)");
    return p;
  }

  /**
   * DJL's device for {@code device}, given how many GPUs the engine sees.
   *
   * @throws IllegalArgumentException when malformed, or when the GPU is not there
   */
  public static Device resolve(String device, int gpuCount) {
    List<String> p = problems(device);
    if (!p.isEmpty()) throw new IllegalArgumentException(p.get(0));
    if (device.equals("cpu")) return Device.cpu();
    int index = device.equals("cuda") ? 0 : Integer.parseInt(device.substring("cuda:".length()));
    if (gpuCount == 0)
      throw new IllegalArgumentException(
          "device: '" + device + "' asked for, but the PyTorch engine sees no GPU: " + CUDA_HELP);
    if (index >= gpuCount)
      throw new IllegalArgumentException(
          "device: '" + device + "' asked for, but the engine sees only " + gpuCount + " GPU(s)");
    return Device.gpu(index);
  }

  /** {@link #resolve} against the engine loaded in this JVM. */
  public static Device resolve(String device) {
    return resolve(device, device != null && device.startsWith("cuda") ? gpuCount() : 0);
  }

  /** A long-lived manager on the checked device: every tensor of a stage is created under it. */
  public static NDManager manager(String device) {
    return NDManager.newBaseManager(resolve(device));
  }

  private static int gpuCount() {
    return Engine.getInstance().getGpuCount();
  }
}
