// Parquet rows → Jackson trees; the converter tree parquet-java's record reader drives.
package io.liandan.llm.data.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.IntLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.ListLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.MapKeyValueTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.MapLogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Builds one {@link ObjectNode} per Parquet row, so every file type looks the same to the format
 * mappers: structs → objects (every field present, absent ones null), LIST → arrays (the standard
 * three-level layout and the legacy two-level ones), MAP → objects keyed by the key's text, strings
 * → text, integers and floats → numbers, DECIMAL → exact decimals, booleans. Unannotated BINARY is
 * text when it is valid UTF-8 (old writers leave strings unannotated), else bytes; dates and
 * timestamps stay the numbers Parquet stores.
 */
final class ParquetJson extends RecordMaterializer<ObjectNode> {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final StructConverter root;
  private ObjectNode current;

  ParquetJson(MessageType schema) {
    this.root = new StructConverter(schema, node -> current = (ObjectNode) node);
  }

  @Override
  public ObjectNode getCurrentRecord() {
    return current;
  }

  @Override
  public GroupConverter getRootConverter() {
    return root;
  }

  static Converter converterFor(Type type, Consumer<JsonNode> sink) {
    if (type.isPrimitive()) {
      return new ValueConverter(type.asPrimitiveType(), sink);
    }
    GroupType group = type.asGroupType();
    LogicalTypeAnnotation logical = group.getLogicalTypeAnnotation();
    if (logical instanceof ListLogicalTypeAnnotation && group.getFieldCount() == 1) {
      return new ListConverter(group, sink);
    }
    if ((logical instanceof MapLogicalTypeAnnotation
            || logical instanceof MapKeyValueTypeAnnotation)
        && group.getFieldCount() == 1
        && !group.getType(0).isPrimitive()) {
      return new MapConverter(group, sink);
    }
    return new StructConverter(group, sink);
  }

  /** A struct (or the row itself): an object with every field, repeated fields as arrays. */
  private static final class StructConverter extends GroupConverter {
    private final GroupType type;
    private final Consumer<JsonNode> sink;
    private final Converter[] fields;
    private ObjectNode object;

    StructConverter(GroupType type, Consumer<JsonNode> sink) {
      this.type = type;
      this.sink = sink;
      this.fields = new Converter[type.getFieldCount()];
      for (int i = 0; i < fields.length; i++) {
        Type field = type.getType(i);
        String name = field.getName();
        fields[i] =
            field.isRepetition(Type.Repetition.REPEATED)
                ? converterFor(field, node -> ((ArrayNode) object.get(name)).add(node))
                : converterFor(field, node -> object.set(name, node));
      }
    }

    @Override
    public Converter getConverter(int fieldIndex) {
      return fields[fieldIndex];
    }

    @Override
    public void start() {
      object = NODES.objectNode();
      for (Type field : type.getFields()) {
        boolean repeated = field.isRepetition(Type.Repetition.REPEATED);
        object.set(field.getName(), repeated ? NODES.arrayNode() : NullNode.instance);
      }
    }

    @Override
    public void end() {
      sink.accept(object);
    }
  }

  /** A LIST group: an array; its one repeated child is the element or wraps it. */
  private static final class ListConverter extends GroupConverter {
    private final Consumer<JsonNode> sink;
    private final Converter repeated;
    private ArrayNode array;

    ListConverter(GroupType list, Consumer<JsonNode> sink) {
      this.sink = sink;
      Type child = list.getType(0);
      Consumer<JsonNode> add = node -> array.add(node);
      this.repeated =
          isElement(child, list.getName())
              ? converterFor(child, add)
              : new ElementConverter(child.asGroupType().getType(0), add);
    }

    /** Parquet's backward-compatibility rules (LogicalTypes.md, "Lists"). */
    private static boolean isElement(Type repeated, String listName) {
      if (repeated.isPrimitive()) {
        return true;
      }
      GroupType group = repeated.asGroupType();
      return group.getFieldCount() != 1
          || group.getName().equals("array")
          || group.getName().equals(listName + "_tuple");
    }

    @Override
    public Converter getConverter(int fieldIndex) {
      return repeated;
    }

    @Override
    public void start() {
      array = NODES.arrayNode();
    }

    @Override
    public void end() {
      sink.accept(array);
    }
  }

  /** The repeated {@code list} group of a three-level list: one element, null when absent. */
  private static final class ElementConverter extends GroupConverter {
    private final Consumer<JsonNode> sink;
    private final Converter element;
    private JsonNode value;

    ElementConverter(Type elementType, Consumer<JsonNode> sink) {
      this.sink = sink;
      this.element = converterFor(elementType, node -> value = node);
    }

    @Override
    public Converter getConverter(int fieldIndex) {
      return element;
    }

    @Override
    public void start() {
      value = NullNode.instance;
    }

    @Override
    public void end() {
      sink.accept(value);
    }
  }

  /** A MAP group: an object keyed by each key's text. */
  private static final class MapConverter extends GroupConverter {
    private final Consumer<JsonNode> sink;
    private final EntryConverter entries;
    private ObjectNode object;

    MapConverter(GroupType map, Consumer<JsonNode> sink) {
      this.sink = sink;
      this.entries = new EntryConverter(map.getType(0).asGroupType());
    }

    @Override
    public Converter getConverter(int fieldIndex) {
      return entries;
    }

    @Override
    public void start() {
      object = NODES.objectNode();
    }

    @Override
    public void end() {
      sink.accept(object);
    }

    private final class EntryConverter extends GroupConverter {
      private final Converter[] fields;
      private JsonNode key;
      private JsonNode value;

      EntryConverter(GroupType keyValue) {
        fields = new Converter[keyValue.getFieldCount()];
        fields[0] = converterFor(keyValue.getType(0), node -> key = node);
        for (int i = 1; i < fields.length; i++) {
          fields[i] = converterFor(keyValue.getType(i), node -> value = node);
        }
      }

      @Override
      public Converter getConverter(int fieldIndex) {
        return fields[fieldIndex];
      }

      @Override
      public void start() {
        key = NullNode.instance;
        value = NullNode.instance;
      }

      @Override
      public void end() {
        object.set(key.asText(), value);
      }
    }
  }

  /** A leaf value; dictionary pages are decoded once per dictionary, not once per row. */
  private static final class ValueConverter extends PrimitiveConverter {
    private final PrimitiveType type;
    private final LogicalTypeAnnotation logical;
    private final Consumer<JsonNode> sink;
    private JsonNode[] dictionary;

    ValueConverter(PrimitiveType type, Consumer<JsonNode> sink) {
      this.type = type;
      this.logical = type.getLogicalTypeAnnotation();
      this.sink = sink;
    }

    @Override
    public boolean hasDictionarySupport() {
      return true;
    }

    @Override
    public void setDictionary(Dictionary values) {
      dictionary = new JsonNode[values.getMaxId() + 1];
      for (int id = 0; id < dictionary.length; id++) {
        dictionary[id] =
            switch (type.getPrimitiveTypeName()) {
              case INT32 -> ofInt(values.decodeToInt(id));
              case INT64 -> ofLong(values.decodeToLong(id));
              case FLOAT -> NODES.numberNode(values.decodeToFloat(id));
              case DOUBLE -> NODES.numberNode(values.decodeToDouble(id));
              case BOOLEAN -> NODES.booleanNode(values.decodeToBoolean(id));
              case BINARY, FIXED_LEN_BYTE_ARRAY, INT96 -> ofBinary(values.decodeToBinary(id));
            };
      }
    }

    @Override
    public void addValueFromDictionary(int dictionaryId) {
      sink.accept(dictionary[dictionaryId]);
    }

    @Override
    public void addBinary(Binary value) {
      sink.accept(ofBinary(value));
    }

    @Override
    public void addBoolean(boolean value) {
      sink.accept(NODES.booleanNode(value));
    }

    @Override
    public void addDouble(double value) {
      sink.accept(NODES.numberNode(value));
    }

    @Override
    public void addFloat(float value) {
      sink.accept(NODES.numberNode(value));
    }

    @Override
    public void addInt(int value) {
      sink.accept(ofInt(value));
    }

    @Override
    public void addLong(long value) {
      sink.accept(ofLong(value));
    }

    private JsonNode ofInt(int value) {
      if (logical instanceof DecimalLogicalTypeAnnotation decimal) {
        return NODES.numberNode(BigDecimal.valueOf(value, decimal.getScale()));
      }
      if (logical instanceof IntLogicalTypeAnnotation integer && !integer.isSigned()) {
        return NODES.numberNode(Integer.toUnsignedLong(value));
      }
      return NODES.numberNode(value);
    }

    private JsonNode ofLong(long value) {
      if (logical instanceof DecimalLogicalTypeAnnotation decimal) {
        return NODES.numberNode(BigDecimal.valueOf(value, decimal.getScale()));
      }
      if (logical instanceof IntLogicalTypeAnnotation integer && !integer.isSigned() && value < 0) {
        return NODES.numberNode(new BigInteger(Long.toUnsignedString(value)));
      }
      return NODES.numberNode(value);
    }

    private JsonNode ofBinary(Binary value) {
      if (logical instanceof DecimalLogicalTypeAnnotation decimal) {
        return NODES.numberNode(
            new BigDecimal(new BigInteger(value.getBytes()), decimal.getScale()));
      }
      if (logical instanceof LogicalTypeAnnotation.UUIDLogicalTypeAnnotation) {
        ByteBuffer bytes = value.toByteBuffer();
        return NODES.textNode(new UUID(bytes.getLong(), bytes.getLong()).toString());
      }
      if (logical instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
          || logical instanceof LogicalTypeAnnotation.EnumLogicalTypeAnnotation
          || logical instanceof LogicalTypeAnnotation.JsonLogicalTypeAnnotation) {
        return NODES.textNode(value.toStringUsingUTF8());
      }
      if (logical == null
          && type.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BINARY) {
        try {
          var utf8 =
              StandardCharsets.UTF_8
                  .newDecoder()
                  .onMalformedInput(CodingErrorAction.REPORT)
                  .onUnmappableCharacter(CodingErrorAction.REPORT);
          return NODES.textNode(utf8.decode(value.toByteBuffer()).toString());
        } catch (CharacterCodingException e) {
          return NODES.binaryNode(value.getBytes());
        }
      }
      return NODES.binaryNode(value.getBytes());
    }
  }
}
