package io.liandan.tracker.web;

import io.javalin.http.BadRequestResponse;
import io.javalin.http.ContentTooLargeResponse;
import io.javalin.http.HttpResponseException;
import io.javalin.http.NotFoundResponse;
import io.javalin.http.ServiceUnavailableResponse;
import java.util.Map;

/**
 * Javalin's HTTP exceptions carrying the bad field in their details; {@code TrackerApp} renders any
 * of them as {@code {"error": "...", "field": "..."}}.
 */
public final class ApiErrors {
  public static final String FIELD = "field";
  public static final String RETRY_AFTER = "retryAfter";

  private ApiErrors() {}

  public static HttpResponseException badRequest(String field, String message) {
    return new BadRequestResponse(message, details(field));
  }

  public static HttpResponseException notFound(String field, String message) {
    return new NotFoundResponse(message, details(field));
  }

  public static HttpResponseException tooLarge(String field, String message) {
    return new ContentTooLargeResponse(message, details(field));
  }

  /**
   * 503: the server cannot take the request now; {@code retryAfterSeconds} travels in the details
   * and {@code TrackerApp} sends it as the Retry-After header.
   */
  public static HttpResponseException unavailable(long retryAfterSeconds, String message) {
    return new ServiceUnavailableResponse(
        message, Map.of(RETRY_AFTER, String.valueOf(retryAfterSeconds)));
  }

  private static Map<String, String> details(String field) {
    return field == null ? Map.of() : Map.of(FIELD, field);
  }
}
