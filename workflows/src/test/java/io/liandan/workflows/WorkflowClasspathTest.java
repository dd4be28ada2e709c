package io.liandan.workflows;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The workflow module compiles and runs against the contracts alone: none of the engine (llm, DJL,
 * Parquet, Hadoop) nor the activities' implementations is on its classpath, so workflow code cannot
 * reach them by accident (issue 16). Re-adding {@code activities} or {@code llm} to its pom fails
 * here.
 */
class WorkflowClasspathTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "ai.djl.ndarray.NDArray",
        "org.apache.parquet.hadoop.ParquetFileReader",
        "org.apache.hadoop.conf.Configuration",
        "io.liandan.llm.stage.TrainStage",
        "io.liandan.activities.StageActivities",
        "io.liandan.tracker.client.TrackerClient"
      })
  void engineClassesAreNotOnTheClasspath(String name) {
    assertThrows(ClassNotFoundException.class, () -> Class.forName(name));
  }

  @ParameterizedTest
  @ValueSource(strings = {"io.liandan.contracts.TrainActivities", "io.liandan.spec.TrainingArgs"})
  void theContractsAre(String name) throws ClassNotFoundException {
    Class.forName(name);
  }
}
