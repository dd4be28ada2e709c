package io.liandan.llm.data.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.llm.data.Origin;
import io.liandan.llm.data.io.DatasetException.Kind;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A top-level JSON array of objects, streamed element by element: Jackson's streaming parser walks
 * the array and {@code readTree} builds one element at a time. Rows are numbered from 0 as in
 * {@code dataset[i]}; a syntax error ends the file (the parser cannot resynchronise), a non-object
 * element is a skippable row.
 */
final class JsonArrayRowReader implements RowReader {
  private final JsonParser parser;
  private final String file;
  private long row = -1;
  private boolean done;

  JsonArrayRowReader(InputStream in, String file) throws IOException {
    this.file = file;
    var utf8 =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    this.parser = Json.MAPPER.getFactory().createParser(new InputStreamReader(in, utf8));
    if (nextToken() != JsonToken.START_ARRAY) {
      throw DatasetException.file(file, "expected a JSON array of objects", null);
    }
  }

  /** Skips a UTF-8 byte order mark, if the stream starts with one. */
  static void skipBom(BufferedInputStream in) throws IOException {
    in.mark(3);
    if (in.read() != 0xEF || in.read() != 0xBB || in.read() != 0xBF) {
      in.reset();
    }
  }

  /** Whether the first non-blank byte is '['; leaves the stream where it was. */
  static boolean startsWithArray(BufferedInputStream in) throws IOException {
    in.mark(1 << 16);
    try {
      for (int i = 0; i < 1 << 16; i++) {
        int b = in.read();
        if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
          return b == '[';
        }
      }
      return false;
    } finally {
      in.reset();
    }
  }

  @Override
  public Row next() throws IOException {
    if (done) {
      return null;
    }
    JsonToken token = nextToken();
    if (token == JsonToken.END_ARRAY) {
      done = true;
      if (nextToken() != null) {
        throw DatasetException.fatal(
            Kind.BAD_JSON, origin(row + 1), "content after the top-level array", null);
      }
      return null;
    }
    if (token == null) {
      done = true;
      throw DatasetException.fatal(
          Kind.BAD_JSON, origin(row + 1), "unexpected end of file inside the array", null);
    }
    row++;
    Origin origin = origin(row);
    if (token != JsonToken.START_OBJECT) {
      String found = token == JsonToken.START_ARRAY ? "array" : scalar(token);
      parser.skipChildren();
      throw DatasetException.row(
          Kind.NOT_AN_OBJECT, origin, null, "expected an object in the array, got " + found);
    }
    try {
      return new Row((ObjectNode) Json.TREE.readTree(parser), origin);
    } catch (JsonProcessingException e) {
      done = true;
      throw DatasetException.fatal(Kind.BAD_JSON, origin, Json.reason(e, true), e);
    } catch (CharacterCodingException e) {
      done = true;
      throw notUtf8(origin, e);
    }
  }

  private JsonToken nextToken() throws IOException {
    try {
      return parser.nextToken();
    } catch (JsonProcessingException e) {
      done = true;
      throw DatasetException.fatal(Kind.BAD_JSON, origin(row + 1), Json.reason(e, true), e);
    } catch (CharacterCodingException e) {
      done = true;
      throw notUtf8(origin(row + 1), e);
    }
  }

  private DatasetException notUtf8(Origin origin, CharacterCodingException e) {
    var at = parser.currentLocation();
    return DatasetException.fatal(
        Kind.NOT_UTF8,
        origin,
        "not valid UTF-8 (near line " + at.getLineNr() + ", column " + at.getColumnNr() + ")",
        e);
  }

  private static String scalar(JsonToken token) {
    return switch (token) {
      case VALUE_STRING -> "string";
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
      case VALUE_TRUE, VALUE_FALSE -> "boolean";
      case VALUE_NULL -> "null";
      default -> token.asString();
    };
  }

  private Origin origin(long index) {
    return new Origin(file, index);
  }

  @Override
  public void close() throws IOException {
    parser.close();
  }
}
