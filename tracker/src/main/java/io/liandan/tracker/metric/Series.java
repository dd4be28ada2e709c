package io.liandan.tracker.metric;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One run's series of one key as the API returns it: {@code {"key":K,"runId":1,"total":N,
 * "points":[[step,value],…]}}, points in step order, {@code total} the points stored. With {@code
 * times=true} it also carries {@code "times":[ms,…]}: each point's wall time in epoch milliseconds,
 * aligned with {@code points} (what the UI's wall-time and relative-time axes plot).
 */
public record Series(
    String key,
    long runId,
    long total,
    List<Point> points,
    @JsonInclude(JsonInclude.Include.NON_NULL) List<Long> times) {

  public Series(String key, long runId, long total, List<Point> points) {
    this(key, runId, total, points, null);
  }

  /** Written as a two-element JSON array; NaN/±Infinity values as strings. */
  @JsonFormat(shape = JsonFormat.Shape.ARRAY)
  public record Point(long step, double value) {}
}
