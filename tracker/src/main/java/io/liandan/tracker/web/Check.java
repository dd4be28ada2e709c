package io.liandan.tracker.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.tracker.Limits;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.List;

/** Field validation shared by the services: each failure is a 400 naming the field. */
public final class Check {
  private Check() {}

  public static String required(String field, String value, int maxLength) {
    if (value == null || value.isBlank()) {
      throw ApiErrors.badRequest(field, field + " is required");
    }
    return optional(field, value, maxLength);
  }

  /**
   * A name, key or id: null stays null; otherwise returned exactly as sent, or rejected: at most
   * maxLength, no control characters, no leading or trailing whitespace (" lead" and "lead" would
   * look the same in every table while being different keys, and silently trimming changed what the
   * client sent).
   */
  public static String optional(String field, String value, int maxLength) {
    if (value == null) {
      return null;
    }
    if (value.length() > maxLength) {
      throw ApiErrors.badRequest(field, field + " is longer than " + maxLength + " characters");
    }
    if (value.chars().anyMatch(Character::isISOControl)) {
      throw ApiErrors.badRequest(field, field + " contains control characters");
    }
    if (!value.isEmpty()
        && (Character.isWhitespace(value.charAt(0))
            || Character.isWhitespace(value.charAt(value.length() - 1))
            || Character.isSpaceChar(value.charAt(0))
            || Character.isSpaceChar(value.charAt(value.length() - 1)))) {
      throw ApiErrors.badRequest(
          field, field + " starts or ends with whitespace; send it without (nothing is trimmed)");
    }
    return value;
  }

  /** Free text (notes): null stays null; otherwise stored exactly as sent, at most maxLength. */
  public static String text(String field, String value, int maxLength) {
    if (value != null && value.length() > maxLength) {
      throw ApiErrors.badRequest(field, field + " is longer than " + maxLength + " characters");
    }
    return value;
  }

  /** A JSON object or null. */
  public static JsonNode object(String field, JsonNode value) {
    if (value != null && !value.isNull() && !value.isObject()) {
      throw ApiErrors.badRequest(field, field + " must be a JSON object");
    }
    return value == null || value.isNull() ? null : value;
  }

  /**
   * A run's config, summary or labels: a JSON object or null, within {@link Limits#MAX_OBJECT_KEYS}
   * keys at every depth and {@link Limits#MAX_OBJECT_BYTES} as JSON.
   */
  public static JsonNode boundedObject(String field, JsonNode value) {
    JsonNode v = object(field, value);
    if (v == null) {
      return null;
    }
    long keys = keys(v, Limits.MAX_OBJECT_KEYS + 1L);
    if (keys > Limits.MAX_OBJECT_KEYS) {
      throw ApiErrors.badRequest(
          field,
          field + " has more than " + Limits.MAX_OBJECT_KEYS + " keys (counted at every depth)");
    }
    int bytes;
    try {
      bytes = Json.MAPPER.writeValueAsBytes(v).length;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    if (bytes > Limits.MAX_OBJECT_BYTES) {
      throw ApiErrors.badRequest(
          field, field + " is " + bytes + " bytes as JSON; at most " + Limits.MAX_OBJECT_BYTES);
    }
    return v;
  }

  /** Keys of {@code node} at every depth, counting stops past {@code stop}. */
  private static long keys(JsonNode node, long stop) {
    long n = 0;
    ArrayDeque<JsonNode> todo = new ArrayDeque<>();
    todo.push(node);
    while (!todo.isEmpty() && n < stop) {
      JsonNode x = todo.pop();
      if (x.isObject()) {
        n += x.size();
      }
      if (x.isContainerNode()) {
        x.elements().forEachRemaining(todo::push);
      }
    }
    return n;
  }

  /** Tags: distinct, non-blank, in the given order. */
  public static String[] tags(String field, List<String> tags) {
    if (tags == null) {
      return null;
    }
    if (tags.size() > Limits.MAX_TAGS) {
      throw ApiErrors.badRequest(field, "at most " + Limits.MAX_TAGS + " tags");
    }
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (int i = 0; i < tags.size(); i++) {
      out.add(required(field + "[" + i + "]", tags.get(i), Limits.MAX_TAG_LENGTH));
    }
    return out.toArray(String[]::new);
  }

  public static long id(String field, String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw ApiErrors.badRequest(field, field + " must be an integer, not '" + value + "'");
    }
  }

  /**
   * A required comma-separated list of ids ({@code runs=3,5,8}): distinct, in the order given, at
   * most {@code max}.
   */
  public static List<Long> ids(String field, String value, int max) {
    if (value == null || value.isBlank()) {
      throw ApiErrors.badRequest(field, field + " is required: a comma-separated list of run ids");
    }
    LinkedHashSet<Long> ids = new LinkedHashSet<>();
    for (String part : value.split(",")) {
      ids.add(id(field, part.strip()));
      if (ids.size() > max) {
        throw ApiErrors.badRequest(field, "at most " + max + " runs at once");
      }
    }
    return List.copyOf(ids);
  }

  /** An optional integer query parameter within [min, max]. */
  public static int intParam(String field, String value, int dflt, int min, int max) {
    if (value == null || value.isBlank()) {
      return dflt;
    }
    int v;
    try {
      v = Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw ApiErrors.badRequest(field, field + " must be an integer, not '" + value + "'");
    }
    if (v < min || v > max) {
      throw ApiErrors.badRequest(field, field + " must be between " + min + " and " + max);
    }
    return v;
  }

  /** An optional integer (long) query parameter: null when absent or blank. */
  public static Long longParam(String field, String value) {
    return value == null || value.isBlank() ? null : id(field, value.strip());
  }

  /** An optional boolean query parameter: absent or blank is {@code dflt}; else true or false. */
  public static boolean boolParam(String field, String value, boolean dflt) {
    if (value == null || value.isBlank()) {
      return dflt;
    }
    return switch (value.strip()) {
      case "true" -> true;
      case "false" -> false;
      default ->
          throw ApiErrors.badRequest(field, field + " must be true or false, not '" + value + "'");
    };
  }
}
