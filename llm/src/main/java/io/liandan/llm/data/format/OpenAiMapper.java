package io.liandan.llm.data.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.llm.data.Message;
import io.liandan.llm.data.Sample;
import io.liandan.llm.data.format.Turns.RoleNames;
import io.liandan.llm.data.format.Turns.Side;
import io.liandan.llm.data.format.Turns.Turn;
import io.liandan.llm.data.io.DatasetException.Kind;
import io.liandan.llm.data.io.Row;
import io.liandan.spec.Format;
import io.liandan.spec.FormatSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI messages: {"messages": [{"role", "content", "tool_calls"?}, …], "tools"?} → Sample.Chat.
 * Content is a string or a list of text parts ({"type": "text", "text"}), joined with newlines;
 * tool_calls pass through (arguments parsed when given as a JSON string). Roles system (first only;
 * "developer" is read as system), user, assistant, tool ("function" is read as tool). Order as for
 * ShareGPT, with consecutive tool results counting as one turn.
 */
record OpenAiMapper(FormatSpec.Columns columns) implements SampleMapper {

  @Override
  public Sample map(Row row) {
    Fields fields = new Fields(row, Format.OPENAI);
    String column = columns.messages();
    ArrayNode list = fields.objects(fields.require(column), column);
    List<Message> messages = new ArrayList<>();
    List<Turn> turns = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      Turn turn = turn(fields, list.get(i), column + "[" + i + "]");
      if (i == 0 && turn.side() == Side.SYSTEM) {
        messages.add(turn.message());
      } else {
        turns.add(turn);
      }
    }
    Turns.checkOrder(turns, fields, column, RoleNames.OPENAI, true, true);
    if (messages.isEmpty()) {
      String system = fields.optionalString(columns.system());
      if (system != null && !system.isEmpty()) {
        messages.add(new Message("system", system));
      }
    }
    turns.forEach(turn -> messages.add(turn.message()));
    Turn last = turns.get(turns.size() - 1);
    Turns.requireReply(last.message(), fields, contentPath(last));
    List<Object> tools = Turns.tools(fields.get(columns.tools()), fields, columns.tools());
    return new Sample.Chat(messages, tools, row.origin());
  }

  /** One {role, content, tool_calls?} object at {@code path}. */
  static Turn turn(Fields fields, JsonNode node, String path) {
    ObjectNode object = fields.object(node, path);
    String rolePath = path + ".role";
    String role = fields.string(Fields.member(object, "role"), rolePath);
    JsonNode calls = Fields.member(object, "tool_calls");
    boolean hasCalls = role.equals("assistant") && calls != null && calls.size() > 0;
    String content = content(fields, Fields.member(object, "content"), path + ".content", hasCalls);
    return switch (role) {
      case "system", "developer" ->
          new Turn(new Message("system", content), Side.SYSTEM, role, rolePath);
      case "user" -> new Turn(new Message("user", content), Side.USER, role, rolePath);
      case "assistant" ->
          new Turn(
              new Message(
                  "assistant",
                  content,
                  hasCalls
                      ? Turns.openAiToolCalls(calls, fields, path + ".tool_calls")
                      : List.of()),
              Side.ASSISTANT,
              role,
              rolePath);
      case "tool", "function" -> new Turn(new Message("tool", content), Side.USER, role, rolePath);
      default ->
          throw fields.error(
              Kind.UNKNOWN_ROLE,
              rolePath,
              "unknown role '" + role + "'; expected system, user, assistant or tool");
    };
  }

  /** A string, or text parts joined with newlines; null only where tool calls stand in. */
  static String content(Fields fields, JsonNode node, String path, boolean mayBeEmpty) {
    if (node == null) {
      if (mayBeEmpty) {
        return "";
      }
      throw fields.missing(path);
    }
    if (node.isTextual()) {
      return node.textValue();
    }
    if (!node.isArray()) {
      throw fields.wrongType(path, "a string or a list of text parts", node);
    }
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      String partPath = path + "[" + i + "]";
      JsonNode part = node.get(i);
      if (part.isTextual()) {
        texts.add(part.textValue());
        continue;
      }
      ObjectNode object = fields.object(part, partPath);
      JsonNode type = Fields.member(object, "type");
      if (type != null && !"text".equals(type.asText())) {
        throw fields.error(
            Kind.UNSUPPORTED,
            partPath + ".type",
            "only text parts are supported, got '" + type.asText() + "'");
      }
      texts.add(fields.string(Fields.member(object, "text"), partPath + ".text"));
    }
    return String.join("\n", texts);
  }

  /** "messages[3].content" for a turn whose role is at "messages[3].role". */
  static String contentPath(Turn turn) {
    String path = turn.path();
    return path.substring(0, path.length() - "role".length()) + "content";
  }
}
