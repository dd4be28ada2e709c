package io.liandan.llm.data.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.llm.data.io.DatasetException;
import io.liandan.llm.data.io.DatasetException.Kind;
import io.liandan.llm.data.io.FileType;
import io.liandan.llm.data.io.TestFiles;
import io.liandan.spec.Format;
import io.liandan.spec.FormatSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad rows fail fast with the file, the line (or row) and the field in the message. */
class FormatErrorsTest {
  @TempDir Path dir;

  static final String GOOD_SHAREGPT =
      "{\"conversations\": [{\"from\": \"human\", \"value\": \"你好\"},"
          + " {\"from\": \"gpt\", \"value\": \"你好！\"}]}";

  /** Reads everything and returns the failure, checking it names the file and the line. */
  private DatasetException failure(Path file, FormatSpec spec, long line) {
    DatasetException e =
        assertThrows(
            DatasetException.class,
            () -> {
              try (DatasetReader reader = DatasetReader.open(file, spec)) {
                reader.forEachRemaining(sample -> {});
              }
            });
    assertTrue(e.getMessage().startsWith(file + ":" + line + ": "), e.getMessage());
    assertEquals(line, e.origin().line());
    return e;
  }

  private Path jsonl(String... lines) throws IOException {
    return Files.writeString(
        dir.resolve("data.jsonl"), String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
  }

  /** A one-row JSON-lines file in {@code format} fails on line 1 with {@code expected}. */
  private DatasetException firstRowFails(Format format, String row, String expected)
      throws IOException {
    Path file = jsonl(row);
    DatasetException e = failure(file, FormatSpec.of(format), 1);
    assertEquals(expected, message(e, file));
    return e;
  }

  private static String message(DatasetException e, Path file) {
    return e.getMessage().substring(file.toString().length());
  }

  @Test
  void badJsonOnLineN() throws IOException {
    Path file = jsonl(GOOD_SHAREGPT, GOOD_SHAREGPT, "{\"conversations\": [}", GOOD_SHAREGPT);
    DatasetException e = failure(file, FormatSpec.of(Format.SHAREGPT), 3);
    assertEquals(Kind.BAD_JSON, e.kind());
    assertEquals(
        ":3: Unexpected close marker '}': expected ']' (for Array starting at column 19)"
            + " (column 20)",
        message(e, file));
  }

  @Test
  void missingRequiredFieldNamesItAndTheFormat() throws IOException {
    Path file =
        jsonl(
            "{\"instruction\": \"你好\", \"output\": \"你好！\"}",
            "{\"instruction\": \"Say hi\", \"input\": \"\"}");
    DatasetException e = failure(file, FormatSpec.of(Format.ALPACA), 2);
    assertEquals(":2: missing field 'output' (alpaca)", message(e, file));
    assertEquals("output", e.field());
    assertEquals(Kind.MISSING_FIELD, e.kind());
  }

  @Test
  void missingFieldInParquetAndJsonArraysNamesTheRow() throws IOException {
    List<String> rows =
        List.of(
            "{\"instruction\": \"你好\", \"output\": \"你好！\"}",
            "{\"instruction\": \"Say hi\", \"output\": null}");
    for (FileType type : List.of(FileType.PARQUET, FileType.JSON)) {
      Path file = TestFiles.write(dir, "rows", type, rows);
      DatasetException e = failure(file, FormatSpec.of(Format.ALPACA), 1);
      assertEquals(":1: missing field 'output' (alpaca)", message(e, file));
    }
  }

  @Test
  void missingNestedFieldNamesItsPath() throws IOException {
    firstRowFails(
        Format.SHAREGPT,
        "{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}, {\"from\": \"gpt\"}]}",
        ":1: missing field 'conversations[1].value' (sharegpt)");
  }

  @Test
  void wrongTypeNamesTheFieldAndTheTypeFound() throws IOException {
    DatasetException e =
        firstRowFails(
            Format.ALPACA,
            "{\"instruction\": \"1+1?\", \"output\": 2}",
            ":1: output: expected a string, got number");
    assertEquals(Kind.WRONG_TYPE, e.kind());

    firstRowFails(
        Format.SHAREGPT,
        "{\"conversations\": \"human: hi\"}",
        ":1: conversations: expected an array, got string");

    firstRowFails(
        Format.ALPACA,
        "{\"instruction\": \"q\", \"output\": \"a\", \"history\": [[\"q0\", \"a0\", \"x\"]]}",
        ":1: history[0]: expected a [query, response] pair, got an array of 3");

    firstRowFails(
        Format.OPENAI,
        "{\"messages\": [{\"role\": \"user\", \"content\": {\"text\": \"hi\"}}]}",
        ":1: messages[0].content: expected a string or a list of text parts, got object");
  }

  @Test
  void wrongRoleOrderOnLine17() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      lines.add(GOOD_SHAREGPT);
    }
    lines.add(
        "{\"conversations\": [{\"from\": \"human\", \"value\": \"在吗？\"},"
            + " {\"from\": \"gpt\", \"value\": \"在。\"},"
            + " {\"from\": \"human\", \"value\": \"好的\"},"
            + " {\"from\": \"human\", \"value\": \"还在吗？\"}]}");
    Path file = jsonl(lines.toArray(String[]::new));
    DatasetException e = failure(file, FormatSpec.of(Format.SHAREGPT), 17);
    assertEquals(
        ":17: conversations[3].from: expected an assistant turn (gpt or function_call), got human",
        message(e, file));
    assertEquals("conversations[3].from", e.field());
    assertEquals(Kind.ROLE_ORDER, e.kind());
  }

  @Test
  void otherRoleOrderProblems() throws IOException {
    firstRowFails(
        Format.SHAREGPT,
        "{\"conversations\": [{\"from\": \"system\", \"value\": \"s\"},"
            + " {\"from\": \"gpt\", \"value\": \"我先说\"}, {\"from\": \"human\", \"value\": \"q\"}]}",
        ":1: conversations[1].from: expected a user turn (human or observation), got gpt");

    firstRowFails(
        Format.SHAREGPT,
        "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\","
            + " \"value\": \"a\"}, {\"from\": \"human\", \"value\": \"no answer\"}]}",
        ":1: conversations: ends with a user turn (human); the last turn must be an assistant"
            + " turn (gpt or function_call)");

    DatasetException e =
        firstRowFails(
            Format.SHAREGPT,
            "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"bot\","
                + " \"value\": \"a\"}]}",
            ":1: conversations[1].from: unknown role 'bot'; expected human, gpt, system,"
                + " function_call or observation");
    assertEquals(Kind.UNKNOWN_ROLE, e.kind());

    firstRowFails(
        Format.OPENAI,
        "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"system\","
            + " \"content\": \"late\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}",
        ":1: messages[1].role: expected an assistant turn (assistant), got system");

    firstRowFails(
        Format.OPENAI,
        "{\"messages\": [{\"role\": \"system\", \"content\": \"only a system prompt\"}]}",
        ":1: messages: no user and assistant turns");
  }

  @Test
  void emptyCompletionsNameTheField() throws IOException {
    DatasetException e =
        firstRowFails(
            Format.PREFERENCE,
            "{\"prompt\": \"写首诗\", \"chosen\": \"  \", \"rejected\": \"不写\"}",
            ":1: chosen: empty completion");
    assertEquals(Kind.EMPTY_COMPLETION, e.kind());

    firstRowFails(
        Format.PREFERENCE,
        "{\"prompt\": [{\"role\": \"user\", \"content\": \"hi\"}],"
            + " \"chosen\": [{\"role\": \"assistant\", \"content\": \"hello\"}],"
            + " \"rejected\": [{\"role\": \"user\", \"content\": \"hi\"},"
            + " {\"role\": \"assistant\", \"content\": \"\"}]}",
        ":1: rejected[1].content: empty completion");

    firstRowFails(
        Format.PREFERENCE,
        "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}],"
            + " \"chosen\": {\"from\": \"gpt\", \"value\": \"a\"},"
            + " \"rejected\": {\"from\": \"gpt\", \"value\": \"\"}}",
        ":1: rejected.value: empty completion");

    firstRowFails(
        Format.ALPACA,
        "{\"instruction\": \"q\", \"output\": \"\"}",
        ":1: output: empty completion");
  }

  @Test
  void preferenceShapeProblems() throws IOException {
    firstRowFails(
        Format.PREFERENCE,
        "{\"prompt\": \"hi\", \"chosen\": [{\"role\": \"assistant\", \"content\": \"a\"},"
            + " {\"role\": \"user\", \"content\": \"b\"}], \"rejected\": \"c\"}",
        ":1: chosen: expected one assistant reply after the prompt, got 2 messages");

    firstRowFails(
        Format.PREFERENCE,
        "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}],"
            + " \"chosen\": {\"from\": \"human\", \"value\": \"a\"},"
            + " \"rejected\": {\"from\": \"gpt\", \"value\": \"b\"}}",
        ":1: chosen.from: expected an assistant reply, got human");

    firstRowFails(
        Format.PREFERENCE,
        "{\"prompt\": [{\"role\": \"user\", \"content\": \"q\"},"
            + " {\"role\": \"assistant\", \"content\": \"a\"}], \"chosen\": \"x\","
            + " \"rejected\": \"y\"}",
        ":1: prompt: the prompt must end with a user turn (user or tool), got assistant");
  }

  @Test
  void nonUtf8ByteFailsWithFileAndLine() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes("{\"text\": \"UTF-8: 你好\"}\n".getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes("{\"text\": \"GBK: ".getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes("你好".getBytes(java.nio.charset.Charset.forName("GBK")));
    bytes.writeBytes("\"}\n".getBytes(StandardCharsets.UTF_8));
    Path file = Files.write(dir.resolve("gbk.jsonl"), bytes.toByteArray());
    DatasetException e = failure(file, FormatSpec.of(Format.TEXT), 2);
    assertTrue(message(e, file).startsWith(":2: not valid UTF-8: byte 0x"), e.getMessage());
    assertEquals(Kind.NOT_UTF8, e.kind());
  }

  @Test
  void toolCallProblems() throws IOException {
    Path file =
        jsonl(
            "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"},"
                + " {\"from\": \"function_call\", \"value\": \"get_weather(city=北京)\"},"
                + " {\"from\": \"observation\", \"value\": \"晴\"}, {\"from\": \"gpt\", \"value\": \"晴\"}]}");
    DatasetException e = failure(file, FormatSpec.of(Format.SHAREGPT), 1);
    assertTrue(
        message(e, file)
            .startsWith(
                ":1: conversations[1].value: function call is not JSON {\"name\", \"arguments\"}: "),
        e.getMessage());
    assertEquals(Kind.BAD_TOOL_CALL, e.kind());

    file =
        jsonl(
            "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"},"
                + " {\"from\": \"gpt\", \"value\": \"a\"}], \"tools\": \"[{broken\"}");
    e = failure(file, FormatSpec.of(Format.SHAREGPT), 1);
    assertTrue(message(e, file).startsWith(":1: tools: tools is not valid JSON: "), e.getMessage());
  }

  @Test
  void imagePartsAreUnsupported() throws IOException {
    DatasetException e =
        firstRowFails(
            Format.OPENAI,
            "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\","
                + " \"image_url\": {\"url\": \"x.png\"}}]}, {\"role\": \"assistant\", \"content\": \"a cat\"}]}",
            ":1: messages[0].content[0].type: only text parts are supported, got 'image_url'");
    assertEquals(Kind.UNSUPPORTED, e.kind());
  }
}
