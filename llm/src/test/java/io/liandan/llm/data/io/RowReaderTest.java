package io.liandan.llm.data.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.llm.data.Origin;
import io.liandan.llm.data.io.DatasetException.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JSONL and JSON files: lines, rows, and every way a line can be bad. */
class RowReaderTest {
  @TempDir Path dir;

  private static List<Row> readAll(Path file) throws IOException {
    List<Row> rows = new ArrayList<>();
    try (RowReader reader = RowReader.open(file)) {
      for (Row row; (row = reader.next()) != null; ) {
        rows.add(row);
      }
    }
    return rows;
  }

  private Path file(String name, byte[] bytes) throws IOException {
    return Files.write(dir.resolve(name), bytes);
  }

  private Path file(String name, String text) throws IOException {
    return file(name, text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void jsonlLinesAreNumberedFromOneAndBlankLinesSkipped() throws IOException {
    Path file =
        file(
            "data.jsonl",
            "\uFEFF{\"text\": \"你好，世界\"}\r\n\n   \n{\"text\": \"hello\"}\n{\"text\": \"no newline\"}");
    List<Row> rows = readAll(file);
    assertEquals(3, rows.size());
    assertEquals("你好，世界", rows.get(0).fields().get("text").asText());
    assertEquals(new Origin(file.toString(), 1), rows.get(0).origin());
    assertEquals(4, rows.get(1).origin().line());
    assertEquals(5, rows.get(2).origin().line());
    assertEquals("no newline", rows.get(2).fields().get("text").asText());
  }

  @Test
  void longLinesGrowTheBuffer() throws IOException {
    String big = "长".repeat(300_000);
    Path file = file("big.jsonl", "{\"text\": \"" + big + "\"}\n{\"text\": \"x\"}\n");
    List<Row> rows = readAll(file);
    assertEquals(big, rows.get(0).fields().get("text").asText());
    assertEquals("x", rows.get(1).fields().get("text").asText());
  }

  @Test
  void badJsonNamesFileLineAndJacksonsReasonAndTheReaderGoesOn() throws IOException {
    Path file = file("data.jsonl", "{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3,}\n{\"a\": 4}\n");
    try (RowReader reader = RowReader.open(file)) {
      reader.next();
      reader.next();
      DatasetException e = assertThrows(DatasetException.class, reader::next);
      assertTrue(e.getMessage().startsWith(file + ":3: Unexpected character ('}'"), e.getMessage());
      assertTrue(e.getMessage().contains("(column "), e.getMessage());
      assertEquals(Kind.BAD_JSON, e.kind());
      assertTrue(e.skippable());
      assertEquals(4, reader.next().fields().get("a").asInt());
      assertNull(reader.next());
    }
  }

  @Test
  void twoValuesOnOneLineAndNonObjectsAreBadRows() throws IOException {
    Path file = file("data.jsonl", "{\"a\": 1} {\"b\": 2}\n[1, 2]\n\"text\"\n");
    try (RowReader reader = RowReader.open(file)) {
      DatasetException e = assertThrows(DatasetException.class, reader::next);
      assertTrue(e.getMessage().startsWith(file + ":1: "), e.getMessage());
      e = assertThrows(DatasetException.class, reader::next);
      assertEquals(file + ":2: expected a JSON object per line, got array", e.getMessage());
      e = assertThrows(DatasetException.class, reader::next);
      assertEquals(file + ":3: expected a JSON object per line, got string", e.getMessage());
      assertEquals(Kind.NOT_AN_OBJECT, e.kind());
    }
  }

  @Test
  void nonUtf8BytesFailOnTheirOwnLine() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    // enough good lines that a buffered decoder would have read past the bad one
    for (int i = 0; i < 2000; i++) {
      bytes.writeBytes("{\"text\": \"第一行 line\"}\n".getBytes(StandardCharsets.UTF_8));
    }
    bytes.writeBytes("{\"text\": \"caf".getBytes(StandardCharsets.UTF_8));
    bytes.write(0xE9); // Latin-1 é
    bytes.writeBytes("\"}\n{\"text\": \"ok\"}\n".getBytes(StandardCharsets.UTF_8));
    Path file = file("latin1.jsonl", bytes.toByteArray());
    try (RowReader reader = RowReader.open(file)) {
      for (int i = 0; i < 2000; i++) {
        reader.next();
      }
      DatasetException e = assertThrows(DatasetException.class, reader::next);
      assertEquals(
          file + ":2001: not valid UTF-8: byte 0xE9 at byte 14 of the line", e.getMessage());
      assertEquals(Kind.NOT_UTF8, e.kind());
      assertEquals("ok", reader.next().fields().get("text").asText());
    }
  }

  @Test
  void jsonArrayIsStreamedElementByElementWithRowIndexes() throws IOException {
    Path file =
        file(
            "data.json",
            "\uFEFF [\n {\"text\": \"一\"},\n {\"text\": \"two\", \"n\": [1, {\"x\": null}]}\n]\n");
    List<Row> rows = readAll(file);
    assertEquals(2, rows.size());
    assertEquals(new Origin(file.toString(), 0), rows.get(0).origin());
    assertEquals("一", rows.get(0).fields().get("text").asText());
    assertEquals(1, rows.get(1).origin().line());
    assertTrue(rows.get(1).fields().get("n").get(1).get("x").isNull());
  }

  @Test
  void jsonFileWithJsonlContentIsReadAsLines() throws IOException {
    Path file = file("data.json", "{\"text\": \"a\"}\n{\"text\": \"b\"}\n");
    List<Row> rows = readAll(file);
    assertEquals(2, rows.size());
    assertEquals(2, rows.get(1).origin().line());
  }

  @Test
  void prettyPrintedSingleObjectInJsonSaysWhatAJsonFileMustHold() throws IOException {
    Path file = file("data.json", "{\n  \"text\": \"a\"\n}\n");
    DatasetException e = assertThrows(DatasetException.class, () -> readAll(file));
    assertTrue(e.getMessage().startsWith(file + ":1: "), e.getMessage());
    assertTrue(
        e.getMessage()
            .endsWith("(a .json file must hold an array of objects or one object per line)"),
        e.getMessage());
  }

  @Test
  void syntaxErrorInsideAJsonArrayEndsTheFile() throws IOException {
    Path file = file("data.json", "[{\"a\": 1},\n {\"a\": 2},\n {\"a\" 3}]");
    try (RowReader reader = RowReader.open(file)) {
      reader.next();
      reader.next();
      DatasetException e = assertThrows(DatasetException.class, reader::next);
      assertTrue(e.getMessage().startsWith(file + ":2: Unexpected character ('3'"), e.getMessage());
      assertTrue(e.getMessage().contains("(line 3, column "), e.getMessage());
      assertFalse(e.skippable());
    }
  }

  @Test
  void nonObjectArrayElementIsASkippableRow() throws IOException {
    Path file = file("data.json", "[{\"a\": 1}, [1, [2]], \"s\", {\"a\": 4}]");
    try (RowReader reader = RowReader.open(file)) {
      reader.next();
      DatasetException e = assertThrows(DatasetException.class, reader::next);
      assertEquals(file + ":1: expected an object in the array, got array", e.getMessage());
      assertTrue(e.skippable());
      e = assertThrows(DatasetException.class, reader::next);
      assertEquals(file + ":2: expected an object in the array, got string", e.getMessage());
      assertEquals(3, reader.next().origin().line());
      assertNull(reader.next());
    }
  }

  @Test
  void nonUtf8InAJsonArrayFails() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes("[{\"text\": \"caf".getBytes(StandardCharsets.UTF_8));
    bytes.write(0xE9);
    bytes.writeBytes("\"}]".getBytes(StandardCharsets.UTF_8));
    Path file = file("latin1.json", bytes.toByteArray());
    DatasetException e = assertThrows(DatasetException.class, () -> readAll(file));
    assertTrue(e.getMessage().startsWith(file + ":0: not valid UTF-8"), e.getMessage());
    assertEquals(Kind.NOT_UTF8, e.kind());
  }

  @Test
  void gzippedJsonlIsRead() throws IOException {
    Path file = dir.resolve("data.jsonl.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write("{\"text\": \"压缩\"}\n".getBytes(StandardCharsets.UTF_8));
    }
    assertEquals("压缩", readAll(file).get(0).fields().get("text").asText());
  }

  @Test
  void unknownExtensionAndMissingFileNameTheFile() throws IOException {
    Path csv = file("data.csv", "a,b\n");
    DatasetException e = assertThrows(DatasetException.class, () -> RowReader.open(csv));
    assertTrue(e.getMessage().startsWith(csv + ": unknown dataset file type"), e.getMessage());
    Path missing = dir.resolve("nope.jsonl");
    e = assertThrows(DatasetException.class, () -> RowReader.open(missing));
    assertEquals(missing + ": no such file", e.getMessage());
  }
}
