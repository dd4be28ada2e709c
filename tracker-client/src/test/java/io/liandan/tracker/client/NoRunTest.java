package io.liandan.tracker.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The run of a process without a tracker: takes every write, waits for nothing, has no id. */
class NoRunTest {
  @Test
  void acceptsEveryWriteAndHasNothingToWaitFor() {
    RunHandle run = RunHandle.none();
    run.log("train/loss", 1, 2.0);
    run.log(Map.of("train/loss", 1.5), 2);
    run.summary(Map.of("steps", 2));
    run.labels(Map.of("temporal_ui", "http://localhost:8233"));
    run.samples("generations", 2, List.of(Map.of("output", "hi")));
    run.artifact("adapter", "model", "file:/tmp/a", null, null, null);
    run.fail("cancelled");
    run.finish();
    assertEquals(OptionalLong.empty(), run.id());
    assertTrue(run.persist(), "nothing unsent: safe at once");
    assertTrue(run.flush(Duration.ZERO), "nothing unacknowledged");
    assertEquals(0, run.acknowledgedPoints());
    assertEquals(0, run.failedAttempts());
  }
}
