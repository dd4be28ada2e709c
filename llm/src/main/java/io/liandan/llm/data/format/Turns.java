package io.liandan.llm.data.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.llm.data.Message;
import io.liandan.llm.data.io.DatasetException.Kind;
import io.liandan.llm.data.io.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the conversational formats share: LLaMA-Factory's turn-order rule, and tool calls and tool
 * lists turned into the plain maps and lists that {@link Message} and chat templates take.
 */
final class Turns {
  private Turns() {}

  /** Which side of the conversation a turn is on; SYSTEM is only valid as the first message. */
  enum Side {
    USER,
    ASSISTANT,
    SYSTEM
  }

  /**
   * A parsed message with what error messages need: its source role name ({@code tag}, e.g. human)
   * and path ({@code conversations[2].from}).
   */
  record Turn(Message message, Side side, String tag, String path) {
    boolean isTool() {
      return message.role().equals("tool");
    }
  }

  /** How a format names its user-like and assistant-like roles in messages. */
  record RoleNames(String user, String assistant) {
    static final RoleNames OPENAI = new RoleNames("user or tool", "assistant");
  }

  /**
   * After an optional system message (already taken off), turns alternate user-like then
   * assistant-like, as LLaMA-Factory checks; a conversation ends with an assistant turn, a prompt
   * with a user turn. {@code mergeTools}: consecutive tool results count as one turn (OpenAI's
   * parallel tool calls).
   */
  static void checkOrder(
      List<Turn> turns,
      Fields fields,
      String listPath,
      RoleNames names,
      boolean endsWithAssistant,
      boolean mergeTools) {
    if (turns.isEmpty()) {
      throw endsWithAssistant
          ? fields.error(Kind.ROLE_ORDER, listPath, "no user and assistant turns")
          : fields.error(Kind.EMPTY_PROMPT, listPath, "empty prompt");
    }
    int count = 0;
    Turn last = null;
    for (Turn turn : turns) {
      if (mergeTools && turn.isTool() && last != null && last.isTool()) {
        continue;
      }
      boolean wantUser = count % 2 == 0;
      if (turn.side() != (wantUser ? Side.USER : Side.ASSISTANT)) {
        String expected =
            wantUser ? "a user turn (" + names.user() : "an assistant turn (" + names.assistant();
        throw fields.error(
            Kind.ROLE_ORDER, turn.path(), "expected " + expected + "), got " + turn.tag());
      }
      count++;
      last = turn;
    }
    if (endsWithAssistant && count % 2 == 1) {
      throw fields.error(
          Kind.ROLE_ORDER,
          listPath,
          "ends with a user turn ("
              + last.tag()
              + "); the last turn must be an assistant turn ("
              + names.assistant()
              + ")");
    }
    if (!endsWithAssistant && count % 2 == 0) {
      throw fields.error(
          Kind.ROLE_ORDER,
          listPath,
          "the prompt must end with a user turn (" + names.user() + "), got " + last.tag());
    }
  }

  /** The reply being trained on must say something: text or a tool call. */
  static void requireReply(Message reply, Fields fields, String path) {
    if (reply.toolCalls().isEmpty() && (reply.content() == null || reply.content().isBlank())) {
      throw fields.error(Kind.EMPTY_COMPLETION, path, "empty completion");
    }
  }

  /**
   * ShareGPT's function_call value: JSON {"name", "arguments"} (or a list of them, for parallel
   * calls), as a string or already parsed → [{"type":"function","function":{name, arguments}}].
   */
  static List<Map<String, Object>> functionCalls(JsonNode value, Fields fields, String path) {
    JsonNode calls = value;
    if (value.isTextual()) {
      try {
        calls = Json.MAPPER.readTree(value.textValue());
      } catch (JsonProcessingException e) {
        throw fields.error(
            Kind.BAD_TOOL_CALL,
            path,
            "function call is not JSON {\"name\", \"arguments\"}: " + e.getOriginalMessage());
      }
    }
    List<Map<String, Object>> out = new ArrayList<>();
    if (calls.isArray()) {
      for (int i = 0; i < calls.size(); i++) {
        out.add(toolCall(calls.get(i), fields, path + "[" + i + "]"));
      }
    } else {
      out.add(toolCall(calls, fields, path));
    }
    if (out.isEmpty()) {
      throw fields.error(Kind.BAD_TOOL_CALL, path, "function call list is empty");
    }
    return out;
  }

  /**
   * OpenAI's tool_calls: [{"id"?, "type": "function", "function": {"name", "arguments"}}], kept as
   * they are except that arguments given as a JSON string are parsed into an object, the form chat
   * templates render.
   */
  static List<Map<String, Object>> openAiToolCalls(JsonNode node, Fields fields, String path) {
    if (!node.isArray()) {
      throw fields.wrongType(path, "an array", node);
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      String at = path + "[" + i + "]";
      ObjectNode call = fields.object(node.get(i), at);
      JsonNode function = fields.require(call, "function", at + ".function");
      Map<String, Object> normalised = toolCall(function, fields, at + ".function");
      if (Fields.member(call, "id") != null) {
        normalised.put("id", Json.MAPPER.convertValue(call.get("id"), Object.class));
      }
      out.add(normalised);
    }
    return out;
  }

  /** One call {name, arguments} → {"type":"function","function":{name, arguments}}. */
  private static Map<String, Object> toolCall(JsonNode call, Fields fields, String path) {
    if (!call.isObject()) {
      throw fields.error(
          Kind.BAD_TOOL_CALL,
          path,
          "expected a function call object {\"name\", \"arguments\"}, got " + Json.typeName(call));
    }
    JsonNode name = Fields.member(call, "name");
    if (name == null || !name.isTextual() || name.textValue().isBlank()) {
      throw fields.error(Kind.BAD_TOOL_CALL, path + ".name", "function call without a name");
    }
    Map<String, Object> function = new LinkedHashMap<>();
    function.put("name", name.textValue());
    function.put("arguments", arguments(Fields.member(call, "arguments")));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("type", "function");
    out.put("function", function);
    return out;
  }

  private static Object arguments(JsonNode arguments) {
    if (arguments == null) {
      return new LinkedHashMap<>();
    }
    if (arguments.isTextual()) {
      try {
        JsonNode parsed = Json.MAPPER.readTree(arguments.textValue());
        if (parsed != null && parsed.isObject()) {
          return Json.MAPPER.convertValue(parsed, Object.class);
        }
      } catch (JsonProcessingException e) {
        // not JSON: keep the string as given
      }
    }
    return Json.MAPPER.convertValue(arguments, Object.class);
  }

  /**
   * The tools column: a JSON string (LLaMA-Factory stores it so), a list, or one object → the tool
   * definitions as parsed objects; empty when absent or blank.
   */
  static List<Object> tools(JsonNode node, Fields fields, String path) {
    if (node == null) {
      return List.of();
    }
    JsonNode tools = node;
    if (node.isTextual()) {
      if (node.textValue().isBlank()) {
        return List.of();
      }
      try {
        tools = Json.MAPPER.readTree(node.textValue());
      } catch (JsonProcessingException e) {
        throw fields.error(
            Kind.BAD_TOOL_CALL, path, "tools is not valid JSON: " + e.getOriginalMessage());
      }
    }
    if (tools.isObject()) {
      return List.of(Json.MAPPER.convertValue(tools, Object.class));
    }
    if (!tools.isArray()) {
      throw fields.wrongType(path, "a list of tool definitions", tools);
    }
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < tools.size(); i++) {
      JsonNode tool = tools.get(i);
      if (!tool.isObject()) {
        throw fields.wrongType(path + "[" + i + "]", "a tool definition object", tool);
      }
      out.add(Json.MAPPER.convertValue(tool, Object.class));
    }
    return out;
  }
}
