package io.liandan.llm.stage;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.spec.ModelSource;
import io.liandan.spec.TrainRequest;
import io.liandan.spec.TrainingArgs;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A training stage checks its arguments before it touches the model or the data. */
class TrainStageArgsTest {
  @Test
  void aStageRefusesBadArgumentsBeforeLoadingAnything() throws Exception {
    // a finetuning_type that parse() refuses, on a record built around it
    ObjectMapper json = new ObjectMapper();
    ObjectNode fields = json.valueToTree(StageFixture.args("{'learning_rate':0.5}"));
    TrainingArgs worse =
        json.treeToValue(fields.put("finetuning_type", "qlora"), TrainingArgs.class);
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
