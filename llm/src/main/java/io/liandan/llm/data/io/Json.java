package io.liandan.llm.data.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.util.regex.Pattern;

/** The Jackson setup every dataset reader shares, and JSON's names for node types in messages. */
public final class Json {
  /** Longest string value accepted (Jackson's default is 20 M chars; a book can be longer). */
  static final int MAX_STRING_CHARS = 1 << 28;

  public static final ObjectMapper MAPPER =
      new ObjectMapper(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxStringLength(MAX_STRING_CHARS).build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** Reads one value from a parser that goes on (array elements); callers check what follows. */
  static final ObjectReader TREE =
      MAPPER.readerFor(JsonNode.class).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private static final Pattern SOURCE =
      Pattern.compile("\\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]");

  private Json() {}

  /** JSON's name for a node's type, as messages print it: string, number, array, object, ... */
  public static String typeName(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "nothing";
    }
    return switch (node.getNodeType()) {
      case STRING -> "string";
      case NUMBER -> "number";
      case BOOLEAN -> "boolean";
      case ARRAY -> "array";
      case OBJECT, POJO -> "object";
      case BINARY -> "binary";
      case NULL, MISSING -> "null";
    };
  }

  /** Jackson's reason without its source excerpt, plus the column when Jackson knows it. */
  static String reason(JsonProcessingException e, boolean withLine) {
    // Jackson prints nested locations as "[Source: REDACTED (...); line: 1, column: 14]"
    String reason =
        SOURCE
            .matcher(e.getOriginalMessage())
            .replaceAll(withLine ? "line $1, column $2" : "column $2");
    var at = e.getLocation();
    if (at == null || at.getColumnNr() < 0) {
      return reason;
    }
    return reason
        + (withLine ? " (line " + at.getLineNr() + ", column " : " (column ")
        + at.getColumnNr()
        + ")";
  }
}
