package io.liandan.tracker.metric;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.io.IOException;
import java.util.List;

/**
 * {@code POST /api/v1/runs/{id}/metrics}: {@code {"points":[{"key":"train/loss","step":10,
 * "value":1.5,"time":"2026-01-31T12:00:00Z"},…]}}. {@code value} may be NaN, Infinity or -Infinity
 * (as strings or bare tokens); {@code time} is ISO-8601 with an offset or epoch seconds, default
 * the server's clock.
 */
public record MetricBatch(List<Point> points) {
  public record Point(
      String key, Long step, Double value, @JsonDeserialize(using = TimeText.class) String time) {}

  /**
   * {@code time} as written: a JSON string, or a number of epoch seconds taken as its exact text
   * (strings are otherwise never coerced from numbers).
   */
  static final class TimeText extends JsonDeserializer<String> {
    @Override
    public String deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      JsonToken t = p.currentToken();
      if (t == JsonToken.VALUE_STRING || t.isNumeric()) {
        return p.getText();
      }
      return (String) ctx.handleUnexpectedToken(String.class, p);
    }
  }
}
