package io.liandan.llm.data.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.llm.Fixtures;
import io.liandan.llm.data.Message;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Jinja semantics against jinja2 configured as transformers configures it: string methods, tojson,
 * truthiness, operator precedence, whitespace control, escapes, and templates in the style of
 * Qwen2.5, Llama 3.1, Mistral, Gemma and DeepSeek-R1. Expected outputs come from
 * fixtures/chat-templates/generate.py (jinja2 3.1.6).
 */
class JinjaConformanceTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<Arguments> cases() throws IOException {
    JsonNode cases = JSON.readTree(Fixtures.path("chat-templates/cases.json").toFile());
    List<Arguments> args = new ArrayList<>();
    cases.forEach(c -> args.add(Arguments.of(c.get("name").asText(), c)));
    return args.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void rendersAsJinja2(String name, JsonNode c) {
    List<Message> messages = new ArrayList<>();
    for (JsonNode m : c.get("messages")) {
      List<Map<String, Object>> calls =
          m.has("tool_calls")
              ? JSON.convertValue(m.get("tool_calls"), new TypeReference<>() {})
              : List.of();
      String content = m.get("content").isNull() ? null : m.get("content").asText();
      messages.add(new Message(m.get("role").asText(), content, calls));
    }
    List<Object> tools =
        c.get("tools").isNull()
            ? List.of()
            : JSON.convertValue(c.get("tools"), new TypeReference<>() {});
    Map<String, Object> extra = JSON.convertValue(c.get("extra"), new TypeReference<>() {});
    boolean addGenerationPrompt = c.get("add_generation_prompt").asBoolean();
    ChatTemplate template = ChatTemplate.of(c.get("template").asText());
    if (c.has("error")) {
      ChatTemplateException e =
          assertThrows(
              ChatTemplateException.class,
              () -> template.render(messages, tools, addGenerationPrompt, extra));
      assertEquals(c.get("error").asText(), e.getMessage());
    } else {
      assertEquals(
          c.get("text").asText(), template.render(messages, tools, addGenerationPrompt, extra));
    }
  }
}
