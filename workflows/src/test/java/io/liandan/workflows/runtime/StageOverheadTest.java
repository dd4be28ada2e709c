package io.liandan.workflows.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Timestamp;
import io.liandan.contracts.StageResult;
import io.liandan.workflows.PipelineResult;
import io.liandan.workflows.StageStatus;
import io.temporal.api.common.v1.ActivityType;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.ActivityTaskCompletedEventAttributes;
import io.temporal.api.history.v1.ActivityTaskScheduledEventAttributes;
import io.temporal.api.history.v1.HistoryEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Rows per stage from a history: the workflow's spec check (an activity, not a stage) must not
 * shift the stages' names onto the wrong activities — CliJarIT failed with an index error once the
 * check ran before the first stage.
 */
class StageOverheadTest {
  final List<HistoryEvent> events = new ArrayList<>();

  @Test
  void theSpecCheckIsNotAStageAndCountsInTheFirstGap() {
    event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 0.0, null, 0);
    long check = activity("MissingFiles", 0.1, 0.2);
    long download = activity("Download", 0.5, 1.5);
    long train = activity("Train", 1.6, 11.6);
    event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 11.8, null, 0);
    PipelineResult r =
        new PipelineResult(
            "p", List.of(result("download", 0, 0), result("sft", 9.5, 0.5)), null, List.of());
    double[] closing = new double[1];
    List<StageOverhead> rows =
        StageOverhead.of(events, List.of(status("download"), status("sft")), r, closing);
    assertEquals(List.of("download", "sft"), rows.stream().map(StageOverhead::stage).toList());
    StageOverhead d = rows.get(0), t = rows.get(1);
    assertEquals(0.5, d.gap(), 1e-9, "from the start, the spec check included");
    assertEquals(1.0, d.beyond(), 1e-9, "download's work is 0: all overhead");
    assertEquals(0.1, t.gap(), 1e-9);
    assertEquals(9.0, t.work(), 1e-9, "its seconds less its listener's");
    assertEquals(0.5, t.listener(), 1e-9);
    assertEquals(0.5, t.beyond(), 1e-9, "10 s activity - 9 s work - 0.5 s listener");
    assertEquals(0.2, closing[0], 1e-9);
    assertEquals(List.of(2L, 4L, 6L), List.of(check, download, train));
  }

  private long activity(String type, double scheduled, double completed) {
    long id =
        event(
            EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
            scheduled,
            ActivityTaskScheduledEventAttributes.newBuilder()
                .setActivityType(ActivityType.newBuilder().setName(type))
                .build(),
            0);
    event(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, completed, null, id);
    return id;
  }

  private long event(EventType type, double at, ActivityTaskScheduledEventAttributes s, long of) {
    long id = events.size() + 1;
    HistoryEvent.Builder b =
        HistoryEvent.newBuilder()
            .setEventId(id)
            .setEventType(type)
            .setEventTime(
                Timestamp.newBuilder()
                    .setSeconds((long) Math.floor(at))
                    .setNanos((int) Math.round((at - Math.floor(at)) * 1e9)));
    if (s != null) b.setActivityTaskScheduledEventAttributes(s);
    if (type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
      b.setActivityTaskCompletedEventAttributes(
          ActivityTaskCompletedEventAttributes.newBuilder().setScheduledEventId(of));
    events.add(b.build());
    return id;
  }

  private static StageStatus status(String name) {
    return new StageStatus(
        name, "train", "k", "done", 0, 0, Map.of(), 0, null, 0, 0, null, null, null);
  }

  private static StageResult result(String name, double seconds, double listener) {
    return new StageResult(
        name, "train", "k", "/out", false, null, null, 0, 0, Map.of(), seconds, listener);
  }
}
