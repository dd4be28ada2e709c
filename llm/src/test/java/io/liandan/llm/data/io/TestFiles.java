// Test helper: the same rows written as JSONL, a JSON array or Parquet.
package io.liandan.llm.data.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Type.Repetition;
import org.apache.parquet.schema.Types;

/**
 * Writes JSON rows as a dataset file of any {@link FileType}. Parquet files are written with
 * parquet-java's example writer and a schema inferred from the rows the way pyarrow infers it from
 * Python dicts: strings → STRING, integers → INT64, other numbers → DOUBLE, lists → three-level
 * LIST, objects → structs (union of keys), everything optional.
 */
public final class TestFiles {
  private TestFiles() {}

  /** {@code rows} (JSON objects, one per string) as {@code dir/base.<ext>} of the given type. */
  public static Path write(Path dir, String base, FileType type, List<String> rows) {
    try {
      return switch (type) {
        case JSONL ->
            Files.writeString(
                dir.resolve(base + ".jsonl"),
                String.join("\n", parse(rows).stream().map(JsonNode::toString).toList()) + "\n",
                StandardCharsets.UTF_8);
        case JSON ->
            Files.writeString(
                dir.resolve(base + ".json"),
                "[\n  " + String.join(",\n  ", rows) + "\n]\n",
                StandardCharsets.UTF_8);
        case PARQUET ->
            parquet(dir.resolve(base + ".parquet"), parse(rows), CompressionCodecName.SNAPPY, 0);
      };
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static List<ObjectNode> parse(List<String> rows) {
    List<ObjectNode> nodes = new ArrayList<>();
    for (String row : rows) {
      try {
        nodes.add((ObjectNode) Json.MAPPER.readTree(row));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return nodes;
  }

  /** Parquet with an inferred schema; {@code rowsPerGroup} > 0 cuts row groups that small. */
  public static Path parquet(
      Path file, List<ObjectNode> rows, CompressionCodecName codec, int rowsPerGroup)
      throws IOException {
    return parquet(file, infer(rows), rows, codec, rowsPerGroup);
  }

  /** Parquet with a given schema, rows written through {@link #fill}. */
  public static Path parquet(
      Path file,
      MessageType schema,
      List<ObjectNode> rows,
      CompressionCodecName codec,
      int rowsPerGroup)
      throws IOException {
    Files.deleteIfExists(file);
    var builder =
        ExampleParquetWriter.builder(new LocalOutputFile(file))
            .withConf(new PlainParquetConfiguration())
            .withType(schema)
            .withCompressionCodec(codec);
    if (rowsPerGroup > 0) {
      builder.withRowGroupRowCountLimit(rowsPerGroup);
    }
    SimpleGroupFactory groups = new SimpleGroupFactory(schema);
    try (var writer = builder.build()) {
      for (ObjectNode row : rows) {
        Group group = groups.newGroup();
        fill(group, schema, row);
        writer.write(group);
      }
    }
    return file;
  }

  /** Writes an object's fields into a group of the given type (three-level lists). */
  static void fill(Group group, GroupType type, JsonNode object) {
    for (Type field : type.getFields()) {
      JsonNode value = object.get(field.getName());
      if (value != null && !value.isNull()) {
        add(group, field, value);
      }
    }
  }

  private static void add(Group group, Type field, JsonNode value) {
    String name = field.getName();
    if (field.isPrimitive()) {
      switch (field.asPrimitiveType().getPrimitiveTypeName()) {
        case BINARY -> group.append(name, value.asText());
        case INT64 -> group.append(name, value.longValue());
        case INT32 -> group.append(name, value.intValue());
        case DOUBLE -> group.append(name, value.doubleValue());
        case BOOLEAN -> group.append(name, value.booleanValue());
        default -> throw new IllegalArgumentException("not in test schemas: " + field);
      }
      return;
    }
    GroupType groupType = field.asGroupType();
    Group child = group.addGroup(name);
    if (groupType.getLogicalTypeAnnotation()
        instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation) {
      Type element = groupType.getType(0).asGroupType().getType(0);
      for (JsonNode item : value) {
        Group list = child.addGroup(0);
        if (!item.isNull()) {
          add(list, element, item);
        }
      }
    } else {
      fill(child, groupType, value);
    }
  }

  /** The schema pyarrow would give these rows (near enough). */
  public static MessageType infer(List<ObjectNode> rows) {
    List<JsonNode> values = new ArrayList<>(rows);
    return new MessageType("schema", fields(values));
  }

  private static List<Type> fields(List<JsonNode> objects) {
    Map<String, List<JsonNode>> byKey = new LinkedHashMap<>();
    for (JsonNode object : objects) {
      object
          .fieldNames()
          .forEachRemaining(key -> byKey.computeIfAbsent(key, k -> new ArrayList<>()));
    }
    for (JsonNode object : objects) {
      byKey.forEach((key, list) -> list.add(object.get(key)));
    }
    List<Type> fields = new ArrayList<>();
    byKey.forEach((key, list) -> fields.add(type(key, list)));
    return fields;
  }

  private static Type type(String name, List<JsonNode> values) {
    List<JsonNode> present = values.stream().filter(v -> v != null && !v.isNull()).toList();
    if (present.isEmpty() || present.stream().allMatch(JsonNode::isTextual)) {
      return Types.optional(PrimitiveTypeName.BINARY)
          .as(LogicalTypeAnnotation.stringType())
          .named(name);
    }
    if (present.stream().allMatch(JsonNode::isIntegralNumber)) {
      return Types.optional(PrimitiveTypeName.INT64).named(name);
    }
    if (present.stream().allMatch(JsonNode::isNumber)) {
      return Types.optional(PrimitiveTypeName.DOUBLE).named(name);
    }
    if (present.stream().allMatch(JsonNode::isBoolean)) {
      return Types.optional(PrimitiveTypeName.BOOLEAN).named(name);
    }
    if (present.stream().allMatch(JsonNode::isArray)) {
      List<JsonNode> elements = new ArrayList<>();
      present.forEach(array -> array.forEach(elements::add));
      Type element = type("element", elements);
      return Types.optionalGroup()
          .as(LogicalTypeAnnotation.listType())
          .addField(new GroupType(Repetition.REPEATED, "list", element))
          .named(name);
    }
    if (present.stream().allMatch(JsonNode::isObject)) {
      return new GroupType(Repetition.OPTIONAL, name, fields(present));
    }
    throw new IllegalArgumentException("mixed types in column " + name + ": " + present);
  }
}
