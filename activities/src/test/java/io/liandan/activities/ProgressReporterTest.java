package io.liandan.activities;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.activities.ProgressReporter.Beat;
import io.liandan.activities.ProgressReporter.Signals;
import io.liandan.contracts.StageProgress;
import io.liandan.tracker.client.NoRun;
import io.liandan.tracker.client.RunHandle;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInfo;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.ActivityCanceledException;
import io.temporal.testing.TestActivityEnvironment;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A training stage's listener on its own: what it heartbeats at each step, which steps become a
 * progress signal to the workflow (throttled by the interval, never for a new checkpoint or the
 * last step) and with what, and what reaches the stage's tracker run.
 */
class ProgressReporterTest {
  final List<Beat> beats = new ArrayList<>();
  final List<StageProgress> signals = new ArrayList<>();

  /** The tracker run's calls, in order. */
  final List<String> sent = new ArrayList<>();

  boolean cancelled;

  /**
   * An interval (31 years) longer than System.nanoTime's value: only the first step, new
   * checkpoints and the last step signal, whatever the clock's origin.
   */
  static final double LONG = 1e9;

  final RunHandle run =
      new NoRun() {
        @Override
        public void log(Map<String, ? extends Number> values, long step) {
          sent.add("log " + step + " " + values);
        }

        @Override
        public void samples(String table, long step, List<? extends Map<String, ?>> rows) {
          sent.add("samples " + table + " " + step + " " + rows);
        }

        @Override
        public void summary(Map<String, ?> values) {
          sent.add("summary " + values);
        }

        @Override
        public boolean persist() {
          sent.add("persist");
          return true;
        }
      };

  /** An activity context that records heartbeats and throws a cancellation once requested. */
  ActivityExecutionContext context(int attempt) {
    ActivityInfo info =
        (ActivityInfo)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {ActivityInfo.class},
                (p, m, a) -> {
                  if (m.getName().equals("getAttempt")) return attempt;
                  throw new UnsupportedOperationException(m.getName());
                });
    return (ActivityExecutionContext)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {ActivityExecutionContext.class},
            (p, m, a) -> {
              switch (m.getName()) {
                case "getInfo":
                  return info;
                case "heartbeat":
                  if (cancelled) throw new ActivityCanceledException();
                  beats.add((Beat) a[0]);
                  return null;
                default:
                  throw new UnsupportedOperationException(m.getName());
              }
            });
  }

  ProgressReporter reporter(double intervalSeconds, int attempt) {
    return new ProgressReporter(
        context(attempt), run, new Signals(signals::add, "sft", intervalSeconds));
  }

  @Test
  void everyStepHeartbeatsItsStepTotalAndLastCheckpoint() {
    ProgressReporter r = reporter(LONG, 1);
    r.progress(1, 4, null);
    r.progress(2, 4, "/ckpt/step-2");
    r.progress(3, 4, "/ckpt/step-2");
    List<Beat> expected =
        List.of(
            new Beat(1, 4, null), new Beat(2, 4, "/ckpt/step-2"), new Beat(3, 4, "/ckpt/step-2"));
    assertEquals(expected, beats);
    assertEquals(expected.get(2), r.last(), "the background heartbeat repeats the latest");
  }

  @Test
  void aCancellationFromTheHeartbeatStopsTheStage() {
    ProgressReporter r = reporter(LONG, 1);
    r.progress(1, 4, null);
    cancelled = true;
    assertThrows(ActivityCanceledException.class, () -> r.progress(2, 4, null));
  }

  @Test
  void signalsAreThrottledByTheIntervalExceptFirstNewCheckpointAndLastStep() {
    ProgressReporter slow = reporter(LONG, 1);
    for (long step = 1; step <= 6; step++)
      slow.progress(step, 6, step >= 3 ? "/ckpt/step-3" : null);
    assertEquals(List.of(1L, 3L, 6L), signals.stream().map(StageProgress::step).toList());
    assertEquals(6, beats.size(), "heartbeats are not throttled here");

    signals.clear();
    ProgressReporter every = reporter(0, 1);
    for (long step = 1; step <= 6; step++) every.progress(step, 6, null);
    assertEquals(
        List.of(1L, 2L, 3L, 4L, 5L, 6L), signals.stream().map(StageProgress::step).toList());
  }

  @Test
  void aSignalCarriesTheLatestMetricsTheAttemptAndWhereAResumedAttemptStarted() {
    ProgressReporter r = reporter(LONG, 2);
    r.metrics(5, Map.of("train/loss", 2.0));
    r.progress(5, 10, "/ckpt/step-4"); // resumed after the step-4 checkpoint
    r.metrics(6, Map.of("train/loss", 1.0));
    r.progress(6, 10, "/ckpt/step-6");
    r.progress(10, 10, "/ckpt/step-6");

    assertEquals(3, signals.size());
    StageProgress first = signals.get(0), second = signals.get(1), last = signals.get(2);
    assertEquals(
        new StageProgress("sft", 5, 10, "/ckpt/step-4", Map.of("train/loss", 2.0), 0, 4, 2),
        first,
        "no step timed yet: no ETA");
    assertEquals(Map.of("train/loss", 1.0), second.metrics());
    assertEquals("/ckpt/step-6", second.lastCheckpoint());
    assertEquals(4, second.resumedFromStep());
    assertTrue(second.etaSeconds() >= 0, second.toString());
    assertEquals(0, last.etaSeconds(), "nothing left at the last step");
    assertEquals(2, last.attempt());
  }

  @Test
  void metricsSamplesAndSummaryGoToTheRunWhichIsPersistedBeforeEachCheckpoint() {
    ProgressReporter r = reporter(LONG, 1);
    r.metrics(3, Map.of("train/loss", 1.5));
    r.samples("generations", 3, List.of(Map.of("output", "hello")));
    r.beforeCheckpoint(3);
    r.summary(Map.of("train/runtime", 12.0));
    assertEquals(
        List.of(
            "log 3 {train/loss=1.5}",
            "samples generations 3 [{output=hello}]",
            "persist",
            "summary {train/runtime=12.0}"),
        sent);
    assertTrue(signals.isEmpty(), "the run gets the curve; the workflow only progress");
  }

  @Test
  void aCheckpointWaitsForTheTrackerWhenTheDiskBufferRefusesThePoints() {
    List<String> calls = new ArrayList<>();
    RunHandle refusing =
        new NoRun() {
          @Override
          public boolean persist() {
            calls.add("persist");
            return false;
          }

          @Override
          public boolean flush(Duration timeout) {
            calls.add("flush " + timeout);
            return true;
          }
        };
    new ProgressReporter(context(1), refusing, new Signals(null, "sft", LONG)).beforeCheckpoint(4);
    assertEquals(List.of("persist", "flush " + StageRunner.TRACKER_WAIT), calls);
  }

  @Test
  void withoutAContextOrAWorkflowItStillReportsWhatItCan() {
    ProgressReporter noContext =
        new ProgressReporter(null, run, new Signals(signals::add, "eval", 0));
    noContext.progress(1, 2, null);
    assertEquals(1, signals.get(0).attempt(), "outside an activity: the first attempt");
    assertEquals(new Beat(1, 2, null), noContext.last());

    ProgressReporter noWorkflow =
        new ProgressReporter(context(1), run, new Signals(null, "eval", 0));
    noWorkflow.progress(1, 2, null);
    assertEquals(List.of(new Beat(1, 2, null)), beats);
  }

  /** One activity that drives a reporter on its real Temporal context. */
  @ActivityInterface
  public interface Driver {
    void drive();
  }

  @Test
  void theHeartbeatReachesTemporalAsTheBeatARetryReadsBack() {
    TestActivityEnvironment env = TestActivityEnvironment.newInstance();
    try {
      List<Beat> seen = Collections.synchronizedList(new ArrayList<>());
      env.setActivityHeartbeatListener(Beat.class, seen::add);
      env.registerActivitiesImplementations(
          (Driver)
              () ->
                  new ProgressReporter(
                          Activity.getExecutionContext(), run, new Signals(null, "sft", 5))
                      .progress(3, 8, "/ckpt/step-2"));
      env.newActivityStub(
              Driver.class,
              ActivityOptions.newBuilder()
                  .setStartToCloseTimeout(Duration.ofMinutes(1))
                  .setHeartbeatTimeout(Duration.ofSeconds(10))
                  .build())
          .drive();
      assertEquals(List.of(new Beat(3, 8, "/ckpt/step-2")), seen);
    } finally {
      env.close();
    }
  }
}
