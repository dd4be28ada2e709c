package io.liandan.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The spec's JSON form, its defaults, and LLaMA-Factory's dataset_info.json keys. */
class FormatSpecTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void defaultsPerFormat() {
    FormatSpec alpaca = FormatSpec.of(Format.ALPACA);
    assertEquals("instruction", alpaca.columns().prompt());
    assertEquals("input", alpaca.columns().query());
    assertEquals("output", alpaca.columns().response());
    assertFalse(alpaca.skipInvalid());
    assertEquals(
        Set.of("instruction", "input", "output", "history", "system", "tools"),
        alpaca.columns().names());
    assertEquals("conversations", FormatSpec.of(Format.SHAREGPT).columns().messages());
    assertEquals("messages", FormatSpec.of(Format.OPENAI).columns().messages());
    assertEquals(Set.of("text"), FormatSpec.of(Format.TEXT).columns().names());
    assertEquals(FormatSpec.Tags.DEFAULT, FormatSpec.of(Format.SHAREGPT).tags());
    assertEquals("function_call", FormatSpec.Tags.DEFAULT.functionTag());
  }

  @Test
  void llamaFactoryDatasetInfoEntryIsAccepted() {
    FormatSpec spec =
        FormatSpec.parse(
            """
            {"hf_hub_url": "someone/glaive_toolcall", "file_name": "glaive_toolcall_zh.json",
             "formatting": "sharegpt",
             "columns": {"messages": "conversations", "tools": "tools"},
             "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human",
                      "assistant_tag": "gpt"},
             "skip_invalid": true}""");
    assertEquals(Format.SHAREGPT, spec.format());
    assertEquals("conversations", spec.columns().messages());
    assertEquals("system", spec.columns().system());
    assertEquals("observation", spec.tags().observationTag());
    assertTrue(spec.skipInvalid());
  }

  @Test
  void alpacaRankingBecomesPreferenceWithAlpacaColumns() {
    FormatSpec spec =
        FormatSpec.parse(
            """
            {"formatting": "alpaca", "ranking": true,
             "columns": {"chosen": "better", "rejected": "worse"}}""");
    assertEquals(Format.PREFERENCE, spec.format());
    assertEquals("instruction", spec.columns().prompt());
    assertEquals("input", spec.columns().query());
    assertEquals("better", spec.columns().chosen());
  }

  @Test
  void roundTripsThroughJson() throws Exception {
    FormatSpec spec =
        FormatSpec.of(Format.OPENAI)
            .withColumns(
                new FormatSpec.Columns().orElse(FormatSpec.Columns.defaults(Format.OPENAI)))
            .withSkipInvalid(true);
    String json = JSON.writeValueAsString(spec);
    assertTrue(json.startsWith("{\"format\":\"openai\",\"columns\":{"), json);
    assertEquals(spec, FormatSpec.parse(json));
  }

  @Test
  void mistakesAreNamed() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> FormatSpec.parse("{\"format\": \"chatml\"}"));
    assertTrue(
        e.getMessage().contains("unknown dataset format 'chatml'; expected one of text, alpaca,"),
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> FormatSpec.parse("{\"format\": \"alpaca\", \"columns\": {\"promt\": \"q\"}}"));
    assertTrue(e.getMessage().contains("\"promt\""), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> FormatSpec.parse("{\"columns\": {}}"));
    assertTrue(e.getMessage().contains("missing field 'format'"), e.getMessage());
  }
}
