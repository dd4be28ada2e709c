package io.liandan.tracker.filter;

/** A filter or sort expression that does not parse or does not make sense; the API answers 400. */
public final class FilterException extends RuntimeException {
  public FilterException(String message) {
    super(message);
  }
}
