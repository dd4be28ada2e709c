package io.liandan.llm.data.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Parquet files written here with parquet-java's own writer, read back as JSON rows. */
class ParquetRowReaderTest {
  @TempDir Path dir;

  static final List<String> ROWS =
      List.of(
          """
          {"id": 1, "score": 0.5, "ok": true, "tags": ["数学", "math"],
           "conversations": [{"from": "human", "value": "一加一等于几？"},
                             {"from": "gpt", "value": "等于二。"}],
           "meta": {"source": "zh", "turns": 2}}""",
          """
          {"id": 2, "score": null, "ok": false, "tags": [],
           "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": null}],
           "meta": null}""",
          """
          {"id": 3, "tags": null, "conversations": [null], "meta": {"source": "en"}}""");

  private static List<Row> readAll(Path file, Set<String> columns) throws IOException {
    List<Row> rows = new ArrayList<>();
    try (RowReader reader = RowReader.open(file, columns)) {
      for (Row row; (row = reader.next()) != null; ) {
        rows.add(row);
      }
    }
    return rows;
  }

  @ParameterizedTest
  @EnumSource(
      value = CompressionCodecName.class,
      names = {"UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD", "LZ4_RAW"})
  void nestedRowsReadBackAsTheJsonTheyWereWrittenFrom(CompressionCodecName codec)
      throws IOException {
    List<ObjectNode> rows = TestFiles.parse(ROWS);
    Path file = TestFiles.parquet(dir.resolve("data.parquet"), rows, codec, 0);
    List<Row> read = readAll(file, null);
    assertEquals(3, read.size());
    assertEquals(
        Json.MAPPER.readTree(
            """
            {"id": 1, "score": 0.5, "ok": true, "tags": ["数学", "math"],
             "conversations": [{"from": "human", "value": "一加一等于几？"},
                               {"from": "gpt", "value": "等于二。"}],
             "meta": {"source": "zh", "turns": 2}}"""),
        plain(read.get(0).fields()));
    // absent values are nulls, every column present; a null list element stays null
    assertEquals(
        Json.MAPPER.readTree(
            """
            {"id": 2, "score": null, "ok": false, "tags": [],
             "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": null}],
             "meta": null}"""),
        plain(read.get(1).fields()));
    assertEquals(
        Json.MAPPER.readTree(
            """
            {"id": 3, "score": null, "ok": null, "tags": null, "conversations": [null],
             "meta": {"source": "en", "turns": null}}"""),
        plain(read.get(2).fields()));
    assertEquals(file.toString(), read.get(2).origin().file());
    assertEquals(2, read.get(2).origin().line());
  }

  @Test
  void rowIndexesRunAcrossRowGroupsAndDictionaryPages() throws IOException {
    List<ObjectNode> rows = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      rows.add(
          (ObjectNode)
              Json.MAPPER.readTree(
                  "{\"i\": " + i + ", \"lang\": \"" + (i % 2 == 0 ? "中文" : "en") + "\"}"));
    }
    Path file =
        TestFiles.parquet(dir.resolve("groups.parquet"), rows, CompressionCodecName.SNAPPY, 64);
    List<Row> read = readAll(file, null);
    assertEquals(1000, read.size());
    for (int i = 0; i < 1000; i++) {
      assertEquals(i, read.get(i).origin().line());
      assertEquals(i, read.get(i).fields().get("i").asInt());
      assertEquals(i % 2 == 0 ? "中文" : "en", read.get(i).fields().get("lang").asText());
    }
  }

  @Test
  void onlyRequestedColumnsAreRead() throws IOException {
    Path file =
        TestFiles.parquet(
            dir.resolve("wide.parquet"), TestFiles.parse(ROWS), CompressionCodecName.SNAPPY, 0);
    Row row = readAll(file, Set.of("id", "tags", "not_there")).get(0);
    assertEquals(Set.of("id", "tags"), Set.copyOf(iterable(row.fields())));
    DatasetException e = assertThrows(DatasetException.class, () -> readAll(file, Set.of("text")));
    assertEquals(
        file
            + ": none of the columns [text] is in this file; its columns: id, score, ok, tags,"
            + " conversations, meta",
        e.getMessage());
  }

  /** The node as JSON text would parse it (Parquet's INT64 1 and JSON's 1 compare equal). */
  static JsonNode plain(JsonNode node) throws IOException {
    return Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(node));
  }

  private static List<String> iterable(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void legacyListsMapsAndUnannotatedStringsAreRead() throws IOException {
    MessageType schema =
        MessageTypeParser.parseMessageType(
            """
            message legacy {
              optional group two_level (LIST) { repeated binary str (UTF8); }
              optional group tuples (LIST) { repeated group array { required int32 a; required int32 b; } }
              optional group labels (MAP) {
                repeated group key_value { required binary key (STRING); optional int64 value; }
              }
              optional binary raw;
              optional binary blob;
              repeated int32 plain_repeated;
              optional int32 price (DECIMAL(9, 2));
            }""");
    Path file = dir.resolve("legacy.parquet");
    try (var writer =
        ExampleParquetWriter.builder(new LocalOutputFile(file))
            .withConf(new PlainParquetConfiguration())
            .withType(schema)
            .build()) {
      Group row = new SimpleGroupFactory(schema).newGroup();
      row.addGroup("two_level").append("str", "甲").append("str", "乙");
      Group tuples = row.addGroup("tuples");
      tuples.addGroup("array").append("a", 1).append("b", 2);
      Group labels = row.addGroup("labels");
      labels.addGroup("key_value").append("key", "好").append("value", 5L);
      labels.addGroup("key_value").append("key", "bad");
      row.append("raw", "未标注的字符串");
      row.append(
          "blob", org.apache.parquet.io.api.Binary.fromConstantByteArray(new byte[] {(byte) 0xFF}));
      row.append("plain_repeated", 7).append("plain_repeated", 8);
      row.append("price", 1999);
      writer.write(row);
    }
    Row row = readAll(file, null).get(0);
    assertEquals(
        Json.MAPPER.readTree(
            """
            {"two_level": ["甲", "乙"], "tuples": [{"a": 1, "b": 2}],
             "labels": {"好": 5, "bad": null}, "raw": "未标注的字符串", "blob": "/w==",
             "plain_repeated": [7, 8], "price": 19.99}"""),
        plain(row.fields()));
  }

  @Test
  void notParquetNamesTheFile() throws IOException {
    Path file = Files.writeString(dir.resolve("fake.parquet"), "{\"text\": \"not parquet\"}");
    DatasetException e = assertThrows(DatasetException.class, () -> readAll(file, null));
    assertTrue(e.getMessage().startsWith(file + ": not a readable Parquet file: "), e.getMessage());
  }

  @Test
  void truncatedParquetNamesTheFile() throws IOException {
    Path good =
        TestFiles.parquet(
            dir.resolve("good.parquet"), TestFiles.parse(ROWS), CompressionCodecName.SNAPPY, 0);
    byte[] bytes = Files.readAllBytes(good);
    Path file =
        Files.write(dir.resolve("cut.parquet"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
    DatasetException e = assertThrows(DatasetException.class, () -> readAll(file, null));
    assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
  }
}
