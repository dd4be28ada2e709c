package io.liandan.llm.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.liandan.spec.ModelSource;
import io.liandan.spec.TrainRequest;
import io.liandan.spec.TrainingArgs;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Device names are checked, and a missing GPU is reported before a stage does any work. */
class DevicesTest {

  @Test
  void wellFormedNamesMapToDjlDevices() {
    assertEquals(Device.cpu(), Devices.resolve("cpu", 0));
    assertEquals(Device.gpu(0), Devices.resolve("cuda", 1));
    assertEquals(Device.gpu(1), Devices.resolve("cuda:1", 2));
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpu", "cuda:", "cuda:x", "CPU", "mps", "cuda1", ""})
  void otherNamesAreRejectedNamingTheField(String device) {
    List<String> p = Devices.problems(device);
    assertEquals(1, p.size());
    assertTrue(p.get(0).startsWith("device: '" + device + "'"), p.get(0));
    var e = assertThrows(IllegalArgumentException.class, () -> Devices.resolve(device, 1));
    assertTrue(e.getMessage().contains("cpu, cuda or cuda:N"), e.getMessage());
  }

  @Test
  void cudaWithoutAGpuSaysHowToGetTheNatives() {
    var e = assertThrows(IllegalArgumentException.class, () -> Devices.resolve("cuda", 0));
    assertTrue(e.getMessage().contains("sees no GPU"), e.getMessage());
    assertTrue(e.getMessage().contains("-Pcuda"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Devices.resolve("cuda:2", 2));
    assertTrue(e.getMessage().contains("only 2 GPU"), e.getMessage());
  }

  /** On a machine without a GPU: the stage fails on the device, not on the (missing) data. */
  @Test
  void trainStageFailsOnTheDeviceBeforeReadingAnything(@TempDir Path tmp) {
    assumeTrue(Engine.getInstance().getGpuCount() == 0, "this machine has a GPU");
    TrainRequest req =
        new TrainRequest(
            "sft",
            ModelSource.of(tmp.resolve("no-model")),
            tmp.resolve("no-data").toString(),
            TrainingArgs.defaults(),
            List.of(),
            false,
            tmp.resolve("out").toString(),
            "cuda");
    var e =
        assertThrows(
            IllegalArgumentException.class, () -> new TrainStage().run(req, StageListener.NONE));
    assertTrue(e.getMessage().startsWith("device: 'cuda'"), e.getMessage());
    var bad =
        new TrainRequest(
            "sft", req.model(), req.tokenized(), req.args(), List.of(), false, req.out(), "gpu0");
    e =
        assertThrows(
            IllegalArgumentException.class, () -> new TrainStage().run(bad, StageListener.NONE));
    assertTrue(
        e.getMessage().contains("device: 'gpu0' is not cpu, cuda or cuda:N"), e.getMessage());
  }
}
