package io.liandan.llm.stage;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.spec.ModelSource;
import io.liandan.spec.TrainRequest;
import io.liandan.spec.TrainingArgs;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A training stage checks its arguments before it touches the model or the data. */
class TrainStageArgsTest {
  @Test
  void aStageRefusesBadArgumentsBeforeLoadingAnything() {
    TrainingArgs bad = StageFixture.args("{'learning_rate':0.5}");
    TrainingArgs worse =
        new TrainingArgs(
            "qlora",
            bad.learningRate(),
            bad.numTrainEpochs(),
            bad.maxSteps(),
            8,
            8,
            1,
            0,
            0,
            "linear",
            0,
            0.9,
            0.999,
            1e-8,
            1,
            10,
            0,
            0,
            0,
            42,
            8,
            16,
            0,
            List.of("q_proj"),
            false,
            0.1,
            64,
            32,
            8,
            "float32",
            0,
            true,
            false,
            false,
            "torch",
            List.of("sigmoid"),
            List.of(),
            0,
            0,
            0.5,
            0,
            1,
            1,
            "float32",
            false);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new TrainStage()
                    .run(
                        new TrainRequest(
                            "sft",
                            ModelSource.of(java.nio.file.Path.of("/nowhere")),
                            "/nowhere",
                            worse,
                            List.of(),
                            false,
                            "/nowhere/out",
                            "cpu"),
                        StageListener.NONE));
    assertTrue(e.getMessage().contains("finetuning_type: 'qlora' is not one of"), e.getMessage());
  }
}
