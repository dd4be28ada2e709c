package io.liandan.tracker.client;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;

/**
 * The JSON the client writes: metric points as the server reads them ({@code {"key", "step",
 * "value", "time"}}, NaN and ±Infinity as strings), one per line on disk.
 */
final class Wire {
  static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonFactory FACTORY = MAPPER.getFactory();
  private static final byte[] OPEN = "{\"points\":[".getBytes();
  private static final byte[] CLOSE = "]}".getBytes();

  /** One logged value; {@code millis} is the wall time of the log() call. */
  record Point(String key, long step, double value, long millis) {}

  private Wire() {}

  /** Points as JSON Lines: the disk format, and (joined with commas) a request's array. */
  static byte[] lines(List<Point> points) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(points.size() * 80);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.setRootValueSeparator(null);
      long lastMillis = Long.MIN_VALUE;
      String lastTime = null;
      for (Point p : points) {
        if (p.millis() != lastMillis) {
          lastMillis = p.millis();
          lastTime = Instant.ofEpochMilli(lastMillis).toString();
        }
        g.writeStartObject();
        g.writeStringField("key", p.key());
        g.writeNumberField("step", p.step());
        if (Double.isFinite(p.value())) {
          g.writeNumberField("value", p.value());
        } else {
          g.writeStringField("value", Double.toString(p.value())); // NaN, Infinity, -Infinity
        }
        g.writeStringField("time", lastTime);
        g.writeEndObject();
        g.writeRaw('\n');
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** {@code {"points":[line,line,…]}} from JSON Lines. */
  static byte[] metricsBody(byte[] lines) {
    int end = lines.length;
    while (end > 0 && (lines[end - 1] == '\n' || lines[end - 1] == '\r')) {
      end--;
    }
    byte[] body = new byte[OPEN.length + end + CLOSE.length];
    System.arraycopy(OPEN, 0, body, 0, OPEN.length);
    for (int i = 0; i < end; i++) {
      byte c = lines[i];
      body[OPEN.length + i] = c == '\n' ? (byte) ',' : c;
    }
    System.arraycopy(CLOSE, 0, body, OPEN.length + end, CLOSE.length);
    return body;
  }

  static byte[] json(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
