package io.liandan.workflows.runtime;

import io.liandan.contracts.StageResult;
import io.liandan.workflows.PipelineResult;
import io.liandan.workflows.StageStatus;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the workflow adds to one stage of a finished pipeline: the gap between the previous stage's
 * end and this one's scheduling (a workflow task round trip), the activity's time beyond the
 * stage's own work (dispatch, cache lookup, lock, tracker run, marker, result) and the reporting
 * inside the work (heartbeats, progress signals, the tracker buffer at checkpoints). Times from the
 * workflow's history (the server's clock) and from the activities' own timers ({@link
 * StageResult#seconds()}, {@link StageResult#listenerSeconds()}). A download stage is all overhead
 * (content hashing): its work is 0. PipelineOverheadBench prints these; a CI test bounds them.
 */
public record StageOverhead(String stage, double work, double gap, double beyond, double listener) {
  /**
   * Activities that are not stages: the spec check the workflow asks the data worker for before any
   * stage (its time counts in the first stage's gap).
   */
  static final Set<String> NOT_STAGES = Set.of("MissingFiles");

  public double overhead() {
    return gap + beyond + listener;
  }

  /**
   * One row per completed activity, in history order, named by the pipeline's stages; {@code
   * closing} receives the seconds from the last stage's end to the workflow's close.
   */
  public static List<StageOverhead> of(
      List<HistoryEvent> events, List<StageStatus> stages, PipelineResult r, double[] closing) {
    Map<Long, Double> scheduledAt = new HashMap<>();
    List<double[]> spans = new ArrayList<>(); // scheduled, completed
    for (HistoryEvent e : events) {
      if (e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
          && !NOT_STAGES.contains(
              e.getActivityTaskScheduledEventAttributes().getActivityType().getName()))
        scheduledAt.put(e.getEventId(), seconds(e));
      if (e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
        Double scheduled =
            scheduledAt.get(e.getActivityTaskCompletedEventAttributes().getScheduledEventId());
        if (scheduled != null) spans.add(new double[] {scheduled, seconds(e)});
      }
    }
    List<StageOverhead> rows = new ArrayList<>();
    double prev = seconds(events.get(0));
    for (int i = 0; i < spans.size(); i++) {
      String name = stages.get(i).name();
      StageResult s = r.stage(name);
      double work = s == null ? 0 : s.seconds() - s.listenerSeconds();
      double listener = s == null ? 0 : s.listenerSeconds();
      double activity = spans.get(i)[1] - spans.get(i)[0];
      rows.add(
          new StageOverhead(
              name, work, spans.get(i)[0] - prev, activity - work - listener, listener));
      prev = spans.get(i)[1];
    }
    if (closing != null && closing.length > 0)
      closing[0] = seconds(events.get(events.size() - 1)) - prev;
    return rows;
  }

  static double seconds(HistoryEvent e) {
    return e.getEventTime().getSeconds() + e.getEventTime().getNanos() / 1e9;
  }
}
