package io.liandan.tracker.web;

import io.javalin.http.BadRequestResponse;
import io.javalin.http.ContentTooLargeResponse;
import io.javalin.http.HttpResponseException;
import io.javalin.http.NotFoundResponse;
import java.util.Map;

/**
 * Javalin's HTTP exceptions carrying the bad field in their details; {@code TrackerApp} renders any
 * of them as {@code {"error": "...", "field": "..."}}.
 */
public final class ApiErrors {
  public static final String FIELD = "field";

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

  private static Map<String, String> details(String field) {
    return field == null ? Map.of() : Map.of(FIELD, field);
  }
}
