package io.liandan.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.llm.demo.DemoPipeline;
import io.liandan.workflows.runtime.EmbeddedTemporal;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code run} and {@code status} answer before any stage runs: problems, unknown ids. */
class StatusAndRunCommandsTest {
  @TempDir Path dir;

  @Test
  void runListsABadKeyABadValueAndAMissingFileInOneReport() throws Exception {
    Path specFile = DemoPipeline.writeShort(dir.resolve("demo"), DemoPipeline.Size.QUICK);
    ObjectNode spec = (ObjectNode) RunCommand.load(specFile);
    ObjectNode args = (ObjectNode) spec.get("stages").get(1).get("args");
    args.put("lerning_rate", 1e-4);
    args.put("learning_rate", -1e-4);
    ((ObjectNode) spec.get("datasets").get("corpus"))
        .put("source", dir.resolve("gone.jsonl").toString());
    ModelCommandsTest.Run r =
        EndToEnd.runSpec(spec, dir.resolve("bad.json"), "127.0.0.1:1", dir.resolve("h"));
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("lerning_rate: unknown hyperparameter (did you mean"), r.err());
    assertTrue(r.err().contains("learning_rate: must be in (0, 1)"), r.err());
    assertTrue(r.err().contains(dir.resolve("gone.jsonl") + " not found"), r.err());
    assertFalse(Files.exists(dir.resolve("h/pipelines")), "nothing started");
  }

  @Test
  void statusOfAnIdNeverStartedSaysUnknownPipelineAndExits5() {
    try (EmbeddedTemporal t = EmbeddedTemporal.start(0)) {
      ModelCommandsTest.Run r =
          ModelCommandsTest.run(
              "status", "never-started", "--temporal", t.target(), "--home", dir.toString());
      assertEquals(StatusCommand.UNKNOWN, r.code(), r.err());
      assertTrue(r.err().contains("unknown pipeline never-started"), r.err());
      assertFalse(r.err().contains("resume"), r.err());
    }
  }

  /**
   * cancel says what went wrong in the status command's words, not the SDK's ("workflowId='x',
   * runId=''"): an id Temporal does not know, or a Temporal that does not answer.
   */
  @Test
  void cancelOfAnUnknownIdOrWithoutTemporalSaysWhich() throws Exception {
    try (EmbeddedTemporal t = EmbeddedTemporal.start(0)) {
      ModelCommandsTest.Run r =
          ModelCommandsTest.run(
              "cancel", "never-started", "--temporal", t.target(), "--home", dir.toString());
      assertEquals(1, r.code(), r.err());
      assertEquals("liandan: unknown pipeline never-started", r.err().strip());
    }
    int dead;
    try (java.net.ServerSocket sock = new java.net.ServerSocket(0)) {
      dead = sock.getLocalPort();
    }
    ModelCommandsTest.Run r =
        ModelCommandsTest.run(
            "cancel", "p", "--temporal", "127.0.0.1:" + dead, "--home", dir.toString());
    assertEquals(1, r.code(), r.err());
    assertTrue(r.err().contains("Temporal at 127.0.0.1:" + dead + " cannot be reached"), r.err());
  }

  @Test
  void watchSaysWhenItHasLostTheServer() throws Exception {
    int dead;
    try (java.net.ServerSocket sock = new java.net.ServerSocket(0)) {
      dead = sock.getLocalPort();
    }
    var pipelines =
        new io.liandan.workflows.runtime.Pipelines(
            io.liandan.workflows.runtime.Pipelines.connect("127.0.0.1:" + dead, "default"),
            new io.liandan.contracts.ArtifactStore(dir));
    java.io.StringWriter out = new java.io.StringWriter();
    PipelineWatch w = new PipelineWatch(pipelines, new java.io.PrintWriter(out, true), 2);
    org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> w.follow("p"));
    assertTrue(out.toString().startsWith("(lost Temporal or the worker: "), out.toString());
    assertEquals(1, out.toString().lines().count(), "said once, not every second: " + out);
  }
}
