package io.liandan.llm.data;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * One chat turn in the form chat templates consume (OpenAI / transformers messages): role is
 * system, user, assistant or tool; {@code toolCalls} holds an assistant's function calls as
 * transformers passes them to templates ({"type":"function","function":{"name","arguments"}}).
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Message(
    String role, String content, @JsonProperty("tool_calls") List<Map<String, Object>> toolCalls) {
  public static final List<String> ROLES = List.of("system", "user", "assistant", "tool");

  public Message {
    content = content == null ? "" : content; // templates concatenate it: never null
    toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
  }

  public Message(String role, String content) {
    this(role, content, List.of());
  }
}
