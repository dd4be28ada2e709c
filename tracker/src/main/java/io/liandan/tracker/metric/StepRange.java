package io.liandan.tracker.metric;

/**
 * The steps a series read covers ({@code from}/{@code to} query parameters, both inclusive, either
 * open): what a zoomed chart asks for, to see the zoomed part at full resolution.
 */
public record StepRange(Long from, Long to) {
  public static final StepRange ALL = new StepRange(null, null);

  long lo() {
    return from == null ? Long.MIN_VALUE : from;
  }

  long hi() {
    return to == null ? Long.MAX_VALUE : to;
  }

  /** Whether this range leaves out part of a series stored over steps [first, last]. */
  boolean narrows(long first, long last) {
    return lo() > first || hi() < last;
  }
}
