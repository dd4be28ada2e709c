package io.liandan.tracker.metric;

/**
 * One metric series of one run as kept in metric_summaries: values at the first and last step, the
 * smallest and largest value (NaN ignored; null when every value was NaN), and the point count.
 */
public record SeriesSummary(
    long firstStep, double first, long lastStep, double last, Double min, Double max, long count) {}
