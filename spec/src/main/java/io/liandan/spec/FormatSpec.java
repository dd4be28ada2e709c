package io.liandan.spec;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

/**
 * How to read one dataset, in the spirit of LLaMA-Factory's {@code dataset_info.json}: the format,
 * which column holds what ({@code columns}), how ShareGPT names its roles ({@code tags}), and
 * whether bad rows fail the read (default) or are skipped and counted ({@code skip_invalid}).
 * Columns and tags left out take the format's defaults, resolved once here.
 *
 * <pre>{"format": "sharegpt", "columns": {"messages": "conversations", "system": "system"},
 *  "tags": {"role_tag": "from", "content_tag": "value"}, "skip_invalid": false}</pre>
 *
 * LLaMA-Factory's own keys are accepted too: {@code "formatting"} for {@code "format"}, and {@code
 * "ranking": true} turns alpaca or sharegpt into {@code preference}, and a {@code kto_tag} column
 * turns alpaca, sharegpt or openai into {@code kto}. Other keys of a dataset_info.json entry
 * (file_name, hf_hub_url, ...) are ignored here.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FormatSpec(
    @JsonProperty("format") Format format,
    @JsonProperty("columns") Columns columns,
    @JsonProperty("tags") Tags tags,
    @JsonProperty("skip_invalid") boolean skipInvalid) {
  // parse() alone: strict about what follows the value, as the dataset readers are
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  public FormatSpec {
    Objects.requireNonNull(format, "format");
    columns = (columns == null ? new Columns() : columns).orElse(Columns.defaults(format));
    tags = (tags == null ? new Tags() : tags).orElse(Tags.DEFAULT);
  }

  /** The format with its default columns and tags, failing fast on bad rows. */
  public static FormatSpec of(Format format) {
    return new FormatSpec(format, null, null, false);
  }

  public FormatSpec withColumns(Columns columns) {
    return new FormatSpec(format, columns, tags, skipInvalid);
  }

  public FormatSpec withTags(Tags tags) {
    return new FormatSpec(format, columns, tags, skipInvalid);
  }

  public FormatSpec withSkipInvalid(boolean skipInvalid) {
    return new FormatSpec(format, columns, tags, skipInvalid);
  }

  /** Reads a spec from JSON; IllegalArgumentException with Jackson's reason when it is wrong. */
  public static FormatSpec parse(String json) {
    try {
      return MAPPER.readValue(json, FormatSpec.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("bad dataset format spec: " + e.getOriginalMessage(), e);
    }
  }

  @JsonCreator
  static FormatSpec fromJson(
      @JsonProperty("format") @JsonAlias("formatting") Format format,
      @JsonProperty("ranking") Boolean ranking,
      @JsonProperty("columns") Columns columns,
      @JsonProperty("tags") Tags tags,
      @JsonProperty("skip_invalid") Boolean skipInvalid) {
    if (format == null) {
      throw new IllegalArgumentException("missing field 'format' (or 'formatting')");
    }
    Columns given = columns == null ? new Columns() : columns;
    if (Boolean.TRUE.equals(ranking) && format == Format.ALPACA) {
      given =
          given.orElse(
              new Columns(
                  "instruction", "input", null, null, null, null, null, null, null, null, null));
      format = Format.PREFERENCE;
    } else if (Boolean.TRUE.equals(ranking) && format == Format.SHAREGPT) {
      format = Format.PREFERENCE;
    } else if (given.ktoTag() != null && format == Format.ALPACA) {
      // LLaMA-Factory's kto: an alpaca row whose kto_tag column says desirable or not
      given = given.orElse(Columns.defaults(Format.ALPACA));
      format = Format.KTO;
    } else if (given.ktoTag() != null && (format == Format.SHAREGPT || format == Format.OPENAI)) {
      // the same with a conversation whose last turn is the completion
      given = given.orElse(Columns.defaults(format));
      format = Format.KTO;
    }
    return new FormatSpec(format, given, tags, Boolean.TRUE.equals(skipInvalid));
  }

  /**
   * Column names (null = not used). {@code prompt}/{@code query}/{@code response}/{@code history}:
   * alpaca (and prompt for preference); {@code messages}: sharegpt/openai turns, or the prompt
   * turns of sharegpt-style preference; {@code chosen}/{@code rejected}: preference; {@code text}:
   * pretraining; {@code system}/{@code tools}: optional everywhere they make sense; {@code
   * kto_tag}: kto's boolean label (LLaMA-Factory's name; TRL's column is {@code label}), with
   * {@code prompt}/{@code query}/{@code response} or {@code messages}.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = false)
  public record Columns(
      @JsonProperty("prompt") String prompt,
      @JsonProperty("query") String query,
      @JsonProperty("response") String response,
      @JsonProperty("history") String history,
      @JsonProperty("system") String system,
      @JsonProperty("tools") String tools,
      @JsonProperty("messages") String messages,
      @JsonProperty("chosen") String chosen,
      @JsonProperty("rejected") String rejected,
      @JsonProperty("text") String text,
      @JsonProperty("kto_tag") String ktoTag) {

    public Columns() {
      this(null, null, null, null, null, null, null, null, null, null, null);
    }

    /** The defaults per format; optional columns (system, tools, history) are used when present. */
    public static Columns defaults(Format format) {
      return switch (format) {
        case TEXT ->
            new Columns(null, null, null, null, null, null, null, null, null, "text", null);
        case ALPACA ->
            new Columns(
                "instruction",
                "input",
                "output",
                "history",
                "system",
                "tools",
                null,
                null,
                null,
                null,
                null);
        case SHAREGPT ->
            new Columns(
                null, null, null, null, "system", "tools", "conversations", null, null, null, null);
        case OPENAI ->
            new Columns(
                null, null, null, null, "system", "tools", "messages", null, null, null, null);
        case PREFERENCE ->
            new Columns(
                "prompt",
                null,
                null,
                null,
                "system",
                null,
                "conversations",
                "chosen",
                "rejected",
                null,
                null);
        // TRL's unpaired prompt / completion / label; or a conversation ending with the completion
        case KTO ->
            new Columns(
                "prompt",
                "input",
                "completion",
                "history",
                "system",
                null,
                "messages",
                null,
                null,
                null,
                "label");
      };
    }

    /** Each column not set here taken from {@code fallback}. */
    public Columns orElse(Columns fallback) {
      return new Columns(
          or(prompt, fallback.prompt),
          or(query, fallback.query),
          or(response, fallback.response),
          or(history, fallback.history),
          or(system, fallback.system),
          or(tools, fallback.tools),
          or(messages, fallback.messages),
          or(chosen, fallback.chosen),
          or(rejected, fallback.rejected),
          or(text, fallback.text),
          or(ktoTag, fallback.ktoTag));
    }

    /** Every column name in use: what a Parquet reader needs to read. */
    public Set<String> names() {
      Set<String> names = new LinkedHashSet<>();
      Stream.of(
              prompt, query, response, history, system, tools, messages, chosen, rejected, text,
              ktoTag)
          .filter(Objects::nonNull)
          .forEach(names::add);
      return names;
    }
  }

  /** ShareGPT's keys and role names (LLaMA-Factory's {@code tags}); defaults as there. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = false)
  public record Tags(
      @JsonProperty("role_tag") String roleTag,
      @JsonProperty("content_tag") String contentTag,
      @JsonProperty("user_tag") String userTag,
      @JsonProperty("assistant_tag") String assistantTag,
      @JsonProperty("observation_tag") String observationTag,
      @JsonProperty("function_tag") String functionTag,
      @JsonProperty("system_tag") String systemTag) {

    public static final Tags DEFAULT =
        new Tags("from", "value", "human", "gpt", "observation", "function_call", "system");

    public Tags() {
      this(null, null, null, null, null, null, null);
    }

    /** Each tag not set here taken from {@code fallback}. */
    public Tags orElse(Tags fallback) {
      return new Tags(
          or(roleTag, fallback.roleTag),
          or(contentTag, fallback.contentTag),
          or(userTag, fallback.userTag),
          or(assistantTag, fallback.assistantTag),
          or(observationTag, fallback.observationTag),
          or(functionTag, fallback.functionTag),
          or(systemTag, fallback.systemTag));
    }
  }

  private static String or(String value, String fallback) {
    return value == null || value.isBlank() ? fallback : value;
  }
}
