package io.liandan.llm.data.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.llm.data.Origin;
import io.liandan.llm.data.io.DatasetException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * JSON Lines: one object per line, blank lines skipped ({@link RowReader#open} drops a BOM). Lines
 * are cut as bytes and decoded one by one with a strict decoder, so a bad byte is reported on its
 * own line (a buffered Reader would report it where its read-ahead happened to be).
 */
final class JsonlRowReader implements RowReader {
  /** Longest line accepted; past it the file is taken to be something else. */
  static final int MAX_LINE_BYTES = 1 << 28;

  private final InputStream in;
  private final String file;
  private final boolean jsonName;
  private final CharsetDecoder utf8 =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
  private final byte[] buffer = new byte[1 << 16];
  private int pos;
  private int limit;
  private byte[] bytes = new byte[1 << 12];
  private CharBuffer chars = CharBuffer.allocate(1 << 12);
  private long line;
  private boolean eof;

  /** {@code jsonName}: the file is called .json, so a failing line 1 says JSON arrays work too. */
  JsonlRowReader(InputStream in, String file, boolean jsonName) {
    this.in = in;
    this.file = file;
    this.jsonName = jsonName;
  }

  @Override
  public Row next() throws IOException {
    while (true) {
      int length = readLine();
      if (length < 0) {
        return null;
      }
      line++;
      Origin origin = new Origin(file, line);
      CharBuffer text = decode(length, origin);
      if (isBlank(text)) {
        continue;
      }
      return new Row(parse(text, origin), origin);
    }
  }

  /** Reads the next line's bytes (without \n or \r\n) into {@code bytes}; -1 at end of file. */
  private int readLine() throws IOException {
    int n = 0;
    while (true) {
      if (pos == limit) {
        if (eof || (limit = in.read(buffer)) <= 0) {
          eof = true;
          limit = pos = 0;
          if (n == 0) {
            return -1;
          }
          break;
        }
        pos = 0;
      }
      int end = pos;
      while (end < limit && buffer[end] != '\n') {
        end++;
      }
      n = append(n, end - pos);
      boolean newline = end < limit;
      pos = newline ? end + 1 : end;
      if (newline) {
        break;
      }
    }
    if (n > 0 && bytes[n - 1] == '\r') {
      n--;
    }
    return n;
  }

  /** Appends buffer[pos, pos + count) to the line's {@code n} bytes so far. */
  private int append(int n, int count) {
    if (n + count > bytes.length) {
      if (n + count > MAX_LINE_BYTES) {
        throw DatasetException.fatal(
            Kind.FILE,
            new Origin(file, line + 1),
            "line longer than " + (MAX_LINE_BYTES >> 20) + " MiB; is this JSON Lines?",
            null);
      }
      bytes = Arrays.copyOf(bytes, Math.min(Math.max(2 * bytes.length, n + count), MAX_LINE_BYTES));
    }
    System.arraycopy(buffer, pos, bytes, n, count);
    return n + count;
  }

  private CharBuffer decode(int length, Origin origin) {
    ByteBuffer src = ByteBuffer.wrap(bytes, 0, length);
    if (chars.capacity() < length) {
      chars = CharBuffer.allocate(Math.max(length, 2 * chars.capacity()));
    }
    chars.clear();
    utf8.reset();
    CoderResult result = utf8.decode(src, chars, true);
    if (!result.isError()) {
      result = utf8.flush(chars);
    }
    if (result.isError()) {
      int at = src.position();
      throw DatasetException.row(
          Kind.NOT_UTF8,
          origin,
          null,
          String.format(
              "not valid UTF-8: byte 0x%02X at byte %d of the line", bytes[at] & 0xFF, at + 1));
    }
    chars.flip();
    return chars;
  }

  private ObjectNode parse(CharBuffer text, Origin origin) throws IOException {
    JsonNode node;
    try (JsonParser parser =
        Json.MAPPER.getFactory().createParser(text.array(), text.position(), text.remaining())) {
      node = Json.TREE.readTree(parser);
      if (parser.nextToken() != null) {
        throw DatasetException.row(
            Kind.BAD_JSON,
            origin,
            null,
            "more than one JSON value on the line (column "
                + parser.getTokenLocation().getColumnNr()
                + ")");
      }
    } catch (JsonProcessingException e) {
      String hint =
          jsonName && line == 1
              ? " (a .json file must hold an array of objects or one object per line)"
              : "";
      throw DatasetException.row(Kind.BAD_JSON, origin, null, Json.reason(e, false) + hint);
    }
    if (!(node instanceof ObjectNode object)) {
      throw DatasetException.row(
          Kind.NOT_AN_OBJECT,
          origin,
          null,
          "expected a JSON object per line, got " + Json.typeName(node));
    }
    return object;
  }

  private static boolean isBlank(CharBuffer text) {
    for (int i = text.position(); i < text.limit(); i++) {
      if (!Character.isWhitespace(text.get(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
