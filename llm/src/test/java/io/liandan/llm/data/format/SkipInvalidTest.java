package io.liandan.llm.data.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.llm.data.Sample;
import io.liandan.llm.data.io.DatasetException;
import io.liandan.llm.data.io.Json;
import io.liandan.spec.Format;
import io.liandan.spec.FormatSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** skip_invalid drops bad rows and counts them per reason; the file's own problems still fail. */
class SkipInvalidTest {
  @TempDir Path dir;

  private Path mixed() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<String> lines =
        List.of(
            "{\"instruction\": \"你好\", \"output\": \"你好！\"}",
            "{\"instruction\": \"no output\"}",
            "{\"instruction\": \"bad json\",",
            "{\"instruction\": \"q\", \"output\": 42}",
            "{\"output\": \"no instruction\"}",
            "",
            "{\"instruction\": \"q\", \"output\": \"   \"}",
            "{\"instruction\": \"Translate\", \"input\": \"猫\", \"output\": \"cat\"}");
    for (String line : lines) {
      out.writeBytes((line + "\n").getBytes(StandardCharsets.UTF_8));
    }
    out.writeBytes(new byte[] {'{', '"', 'x', '"', ':', '"', (byte) 0xC3, '"', '}', '\n'});
    return Files.write(dir.resolve("mixed.jsonl"), out.toByteArray());
  }

  @Test
  void badRowsAreSkippedAndCountedPerReason() throws IOException {
    Path file = mixed();
    FormatSpec spec = FormatSpec.of(Format.ALPACA).withSkipInvalid(true);
    List<Sample> samples = new ArrayList<>();
    FormatStats stats;
    try (DatasetReader reader = DatasetReader.open(file, spec)) {
      reader.forEachRemaining(samples::add);
      stats = reader.stats();
    }
    assertEquals(2, samples.size());
    assertEquals(1, samples.get(0).origin().line());
    assertEquals(8, samples.get(1).origin().line());
    assertEquals(8, stats.rows());
    assertEquals(2, stats.samples());
    assertEquals(
        Map.of(
            "missing_field", 2L,
            "bad_json", 1L,
            "wrong_type", 1L,
            "empty_completion", 1L,
            "not_utf8", 1L),
        stats.skipped());
    assertEquals(6, stats.skippedTotal());
    assertEquals(
        file + ":2: missing field 'output' (alpaca)", stats.firstSkipped().get("missing_field"));
    // the manifest form: sorted keys, snake_case
    String json = Json.MAPPER.writeValueAsString(stats);
    assertTrue(
        json.startsWith(
            "{\"rows\":8,\"samples\":2,\"skipped\":{\"bad_json\":1,\"empty_completion\":1,"),
        json);
    assertTrue(json.contains("\"first_skipped\":{"), json);
  }

  @Test
  void withoutSkipTheFirstBadRowFails() throws IOException {
    Path file = mixed();
    try (DatasetReader reader = DatasetReader.open(file, FormatSpec.of(Format.ALPACA))) {
      assertTrue(reader.hasNext());
      reader.next();
      DatasetException e = assertThrows(DatasetException.class, reader::hasNext);
      assertEquals(file + ":2: missing field 'output' (alpaca)", e.getMessage());
      assertFalse(reader.hasNext());
    }
  }

  @Test
  void aBrokenJsonArrayFailsEvenWhenSkipping() throws IOException {
    Path file =
        Files.writeString(
            dir.resolve("broken.json"),
            "[{\"text\": \"一\"}, {\"note\": \"no text\"}, {\"text\": \"三\" \"oops\"}, {\"text\": \"四\"}]");
    FormatSpec spec = FormatSpec.of(Format.TEXT).withSkipInvalid(true);
    try (DatasetReader reader = DatasetReader.open(file, spec)) {
      assertEquals("一", ((Sample.Text) reader.next()).text());
      DatasetException e = assertThrows(DatasetException.class, reader::next);
      assertTrue(e.getMessage().startsWith(file + ":2: Unexpected character"), e.getMessage());
      assertEquals(Map.of("missing_field", 1L), reader.stats().skipped());
    }
  }
}
