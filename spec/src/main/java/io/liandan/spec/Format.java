package io.liandan.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The dataset layouts Liandan maps to {@link io.liandan.llm.data.Sample}s. */
public enum Format {
  /** Pretraining text, {"text": …} → Sample.Text. */
  TEXT,
  /** Stanford Alpaca: instruction, input, output, optional system and history → Sample.Chat. */
  ALPACA,
  /** ShareGPT: conversations [{from, value}], optional system and tools → Sample.Chat. */
  SHAREGPT,
  /** OpenAI messages [{role, content, tool_calls}] → Sample.Chat. */
  OPENAI,
  /** Preference pairs (prompt, chosen, rejected in several layouts) → Sample.Preference. */
  PREFERENCE,
  /**
   * Unpaired KTO examples: TRL's prompt, completion, label, or LLaMA-Factory's alpaca / sharegpt
   * columns with a boolean kto_tag → Sample.Kto.
   */
  KTO;

  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static Format of(String id) {
    for (Format format : values()) {
      if (format.id().equalsIgnoreCase(id.strip())) {
        return format;
      }
    }
    throw new IllegalArgumentException(
        "unknown dataset format '"
            + id
            + "'; expected one of "
            + Arrays.stream(values()).map(Format::id).collect(Collectors.joining(", ")));
  }
}
