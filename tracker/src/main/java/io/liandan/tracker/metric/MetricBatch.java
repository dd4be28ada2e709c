package io.liandan.tracker.metric;

import java.util.List;

/**
 * {@code POST /api/v1/runs/{id}/metrics}: {@code {"points":[{"key":"train/loss","step":10,
 * "value":1.5,"time":"2026-01-31T12:00:00Z"},…]}}. {@code value} may be NaN, Infinity or -Infinity
 * (as strings or bare tokens); {@code time} is ISO-8601 with an offset or epoch seconds, default
 * the server's clock.
 */
public record MetricBatch(List<Point> points) {
  public record Point(String key, Long step, Double value, String time) {}
}
