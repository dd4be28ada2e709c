package io.liandan.llm.data.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.llm.data.Origin;
import io.liandan.llm.data.io.DatasetException;
import io.liandan.llm.data.io.DatasetException.Kind;
import io.liandan.llm.data.io.Json;
import io.liandan.llm.data.io.Row;
import io.liandan.spec.Format;
import java.util.Iterator;
import java.util.Map;

/**
 * Typed access to one row's fields, every failure a {@link DatasetException} naming the row and the
 * field's path ({@code conversations[2].value}). A JSON null counts as missing, because Parquet
 * writes absent values as nulls.
 */
final class Fields {
  private final Row row;
  private final String format;

  Fields(Row row, Format format) {
    this.row = row;
    this.format = format.id();
  }

  Origin origin() {
    return row.origin();
  }

  /** The column's value, or null when the column is unused, absent or null. */
  JsonNode get(String column) {
    return column == null ? null : present(row.fields().get(column));
  }

  JsonNode require(String column) {
    JsonNode node = get(column);
    if (node == null) {
      throw missing(column);
    }
    return node;
  }

  /** The member {@code key} of an object node, or null when absent or null. */
  static JsonNode member(JsonNode object, String key) {
    return present(object.get(key));
  }

  JsonNode require(JsonNode object, String key, String path) {
    JsonNode node = member(object, key);
    if (node == null) {
      throw missing(path);
    }
    return node;
  }

  /** A required string value at {@code path}. */
  String string(JsonNode node, String path) {
    if (node == null) {
      throw missing(path);
    }
    if (!node.isTextual()) {
      throw wrongType(path, "a string", node);
    }
    return node.textValue();
  }

  /** An optional string column: null when absent or null, an error when not a string. */
  String optionalString(String column) {
    JsonNode node = get(column);
    return node == null ? null : string(node, column);
  }

  String requireString(String column) {
    return string(require(column), column);
  }

  /** An object at {@code path}. */
  ObjectNode object(JsonNode node, String path) {
    if (!(node instanceof ObjectNode object)) {
      throw wrongType(path, "an object", node);
    }
    return object;
  }

  /**
   * A list of objects at {@code path}. A struct of equal-length lists ({"from": [...], "value":
   * [...]}, what Hugging Face's {@code Sequence} of a dict stores) is turned into a list of
   * structs.
   */
  ArrayNode objects(JsonNode node, String path) {
    if (node instanceof ArrayNode array) {
      return array;
    }
    if (node instanceof ObjectNode struct && struct.size() > 0) {
      int length = -1;
      for (JsonNode column : struct) {
        if (!column.isArray() || (length >= 0 && column.size() != length)) {
          throw wrongType(path, "an array", node);
        }
        length = column.size();
      }
      ArrayNode rows = JsonNodeFactory.instance.arrayNode(length);
      for (int i = 0; i < length; i++) {
        ObjectNode item = rows.addObject();
        for (Iterator<Map.Entry<String, JsonNode>> it = struct.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> column = it.next();
          item.set(column.getKey(), column.getValue().get(i));
        }
      }
      return rows;
    }
    throw wrongType(path, "an array", node);
  }

  DatasetException missing(String path) {
    return DatasetException.missingField(origin(), path, format);
  }

  DatasetException wrongType(String path, String expected, JsonNode found) {
    return DatasetException.wrongType(origin(), path, expected, Json.typeName(found));
  }

  DatasetException error(Kind kind, String path, String detail) {
    return DatasetException.row(kind, origin(), path, detail);
  }

  private static JsonNode present(JsonNode node) {
    return node == null || node.isNull() || node.isMissingNode() ? null : node;
  }
}
