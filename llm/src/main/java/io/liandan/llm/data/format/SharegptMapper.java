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
 * ShareGPT: {"conversations": [{"from", "value"}, …], "system"?, "tools"?} → Sample.Chat. Roles by
 * the spec's tags: human → user, gpt → assistant, system (first only) → system, function_call →
 * assistant with tool calls and empty content, observation → tool. Order as LLaMA-Factory checks
 * it: an optional system turn, then user-like (human, observation) and assistant-like (gpt,
 * function_call) turns alternating, ending with an assistant turn.
 */
final class SharegptMapper implements SampleMapper {
  private final FormatSpec.Columns columns;
  private final FormatSpec.Tags tags;

  SharegptMapper(FormatSpec spec) {
    this.columns = spec.columns();
    this.tags = spec.tags();
  }

  @Override
  public Sample map(Row row) {
    Fields fields = new Fields(row, Format.SHAREGPT);
    Conversation conversation = parse(fields, fields.require(columns.messages()));
    Turns.checkOrder(conversation.turns, fields, columns.messages(), roleNames(), true, false);
    List<Message> messages = new ArrayList<>();
    String system =
        conversation.system != null ? conversation.system : fields.optionalString(columns.system());
    if (system != null && !system.isEmpty()) {
      messages.add(new Message("system", system));
    }
    conversation.turns.forEach(turn -> messages.add(turn.message()));
    Turn last = conversation.turns.get(conversation.turns.size() - 1);
    Turns.requireReply(last.message(), fields, contentPath(last));
    List<Object> tools = Turns.tools(fields.get(columns.tools()), fields, columns.tools());
    return new Sample.Chat(messages, tools, row.origin());
  }

  /** The turns of a conversation list, a leading system turn taken off into {@code system}. */
  record Conversation(String system, List<Turn> turns) {}

  Conversation parse(Fields fields, JsonNode node) {
    String column = columns.messages();
    ArrayNode list = fields.objects(node, column);
    String system = null;
    List<Turn> turns = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      Turn turn = turn(fields, list.get(i), column + "[" + i + "]");
      if (i == 0 && turn.side() == Side.SYSTEM) {
        system = turn.message().content();
      } else {
        turns.add(turn);
      }
    }
    return new Conversation(system, turns);
  }

  /** One {from, value} object at {@code path}. */
  Turn turn(Fields fields, JsonNode node, String path) {
    ObjectNode object = fields.object(node, path);
    String rolePath = path + "." + tags.roleTag();
    String valuePath = path + "." + tags.contentTag();
    String tag = fields.string(Fields.member(object, tags.roleTag()), rolePath);
    JsonNode value = Fields.member(object, tags.contentTag());
    if (tag.equals(tags.functionTag())) {
      if (value == null) {
        throw fields.missing(valuePath);
      }
      var calls = Turns.functionCalls(value, fields, valuePath);
      return new Turn(new Message("assistant", "", calls), Side.ASSISTANT, tag, rolePath);
    }
    String content = fields.string(value, valuePath);
    if (tag.equals(tags.userTag())) {
      return new Turn(new Message("user", content), Side.USER, tag, rolePath);
    }
    if (tag.equals(tags.assistantTag())) {
      return new Turn(new Message("assistant", content), Side.ASSISTANT, tag, rolePath);
    }
    if (tag.equals(tags.observationTag())) {
      return new Turn(new Message("tool", content), Side.USER, tag, rolePath);
    }
    if (tag.equals(tags.systemTag())) {
      return new Turn(new Message("system", content), Side.SYSTEM, tag, rolePath);
    }
    throw fields.error(
        Kind.UNKNOWN_ROLE,
        rolePath,
        "unknown role '"
            + tag
            + "'; expected "
            + String.join(
                ", ", tags.userTag(), tags.assistantTag(), tags.systemTag(), tags.functionTag())
            + " or "
            + tags.observationTag());
  }

  String roleTag() {
    return tags.roleTag();
  }

  RoleNames roleNames() {
    return new RoleNames(
        tags.userTag() + " or " + tags.observationTag(),
        tags.assistantTag() + " or " + tags.functionTag());
  }

  /** "conversations[3].value" for a turn whose role is at "conversations[3].from". */
  String contentPath(Turn turn) {
    String path = turn.path();
    return path.substring(0, path.length() - tags.roleTag().length()) + tags.contentTag();
  }
}
