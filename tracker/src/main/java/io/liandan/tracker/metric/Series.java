package io.liandan.tracker.metric;

import com.fasterxml.jackson.annotation.JsonFormat;
import java.util.List;

/**
 * One run's series of one key as the API returns it: {@code {"key":K,"runId":1,"total":N,
 * "points":[[step,value],…]}}, points in step order, {@code total} the points stored.
 */
public record Series(String key, long runId, long total, List<Point> points) {
  /** Written as a two-element JSON array; NaN/±Infinity values as strings. */
  @JsonFormat(shape = JsonFormat.Shape.ARRAY)
  public record Point(long step, double value) {}
}
