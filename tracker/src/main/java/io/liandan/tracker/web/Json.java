package io.liandan.tracker.web;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.javalin.http.Context;
import io.liandan.tracker.Limits;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.jooq.JSONB;

/**
 * The one JSON setup of the API, and request-body reading with the size limit and 400s that name
 * the bad field.
 *
 * <p>NaN and ±Infinity: JSON has no such numbers. Responses write them as the strings {@code
 * "NaN"}, {@code "Infinity"}, {@code "-Infinity"}; requests may send those strings or the bare
 * tokens Python's {@code json.dumps} writes ({@code NaN}, {@code Infinity}, {@code -Infinity}).
 */
public final class Json {
  public static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .enable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .build();

  private Json() {}

  /** Reads the request body as {@code type}: 413 past the size limit, 400 naming the problem. */
  public static <T> T read(Context ctx, Class<T> type) {
    byte[] body = body(ctx);
    if (body.length == 0) {
      throw ApiErrors.badRequest(null, "request body is empty; expected a JSON object");
    }
    try {
      T value = MAPPER.readValue(body, type);
      if (value == null) {
        throw ApiErrors.badRequest(null, "request body is null; expected a JSON object");
      }
      return value;
    } catch (UnrecognizedPropertyException e) {
      String field = path(e);
      throw ApiErrors.badRequest(field, "unknown field '" + field + "'");
    } catch (JsonParseException e) {
      throw ApiErrors.badRequest(null, "malformed JSON: " + e.getOriginalMessage() + at(e));
    } catch (JsonMappingException e) {
      String field = path(e);
      throw ApiErrors.badRequest(
          field.isEmpty() ? null : field,
          "invalid value" + (field.isEmpty() ? "" : " for '" + field + "'") + ": " + brief(e));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] body(Context ctx) {
    long declared = ctx.req().getContentLengthLong();
    if (declared > Limits.MAX_REQUEST_BYTES) {
      throw tooLarge(declared);
    }
    try (InputStream in = ctx.bodyInputStream()) {
      byte[] bytes = in.readNBytes((int) Limits.MAX_REQUEST_BYTES + 1);
      if (bytes.length > Limits.MAX_REQUEST_BYTES) {
        throw tooLarge(-1);
      }
      return bytes;
    } catch (IOException e) {
      throw ApiErrors.badRequest(null, "could not read the request body: " + e.getMessage());
    }
  }

  private static RuntimeException tooLarge(long declared) {
    return ApiErrors.tooLarge(
        null,
        "request body "
            + (declared > 0 ? "of " + declared + " bytes " : "")
            + "is over the limit of "
            + Limits.MAX_REQUEST_BYTES
            + " bytes; send smaller batches");
  }

  /** "points[3].value" from Jackson's reference path. */
  static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (!sb.isEmpty()) {
          sb.append('.');
        }
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static String brief(JsonProcessingException e) {
    String m = e.getOriginalMessage();
    int cut = m.indexOf('\n');
    return (cut > 0 ? m.substring(0, cut) : m) + at(e);
  }

  private static String at(JsonProcessingException e) {
    return e.getLocation() == null
        ? ""
        : " (line "
            + e.getLocation().getLineNr()
            + ", column "
            + e.getLocation().getColumnNr()
            + ")";
  }

  /** jsonb column → tree, never null. */
  public static JsonNode tree(JSONB value) {
    if (value == null) {
      return MAPPER.createObjectNode();
    }
    try {
      return MAPPER.readTree(value.data());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("the database returned invalid jsonb", e);
    }
  }

  /** tree → jsonb bind value. */
  public static JSONB jsonb(JsonNode value) {
    try {
      return JSONB.valueOf(MAPPER.writeValueAsString(value));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
