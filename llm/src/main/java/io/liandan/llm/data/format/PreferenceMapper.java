package io.liandan.llm.data.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.llm.data.Message;
import io.liandan.llm.data.Sample;
import io.liandan.llm.data.format.SharegptMapper.Conversation;
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
 * Preference pairs → Sample.Preference, in the layouts found on the Hub:
 *
 * <ol>
 *   <li>strings: {"prompt", "chosen", "rejected"} → prompt [user], assistant replies;
 *   <li>message lists (TRL's conversational format, Infinity-Preference): prompt as a string or
 *       messages, chosen/rejected as one assistant message, or as whole conversations that repeat
 *       the prompt or share it as a common prefix (TRL's implicit prompt) — the pair is split
 *       there;
 *   <li>ShareGPT ranking (LLaMA-Factory): {"conversations": prompt turns, "chosen": {from, value},
 *       "rejected": {from, value}}, used when the row has no prompt column.
 * </ol>
 *
 * Messages inside lists may be {role, content} or ShareGPT's {from, value}. The prompt follows the
 * chat order rule and ends with a user turn; each completion is one non-empty assistant turn.
 */
record PreferenceMapper(FormatSpec.Columns columns, SharegptMapper sharegpt)
    implements SampleMapper {
  static PreferenceMapper of(FormatSpec spec) {
    return new PreferenceMapper(spec.columns(), new SharegptMapper(spec));
  }

  @Override
  public Sample map(Row row) {
    Fields fields = new Fields(row, Format.PREFERENCE);
    JsonNode prompt = fields.get(columns.prompt());
    JsonNode conversations = fields.get(columns.messages());
    if (prompt == null && conversations != null) {
      return ranking(fields, conversations, row);
    }
    JsonNode chosen = fields.require(columns.chosen());
    JsonNode rejected = fields.require(columns.rejected());

    List<Turn> promptTurns = new ArrayList<>();
    if (prompt != null && prompt.isTextual()) {
      String text = AlpacaMapper.join(prompt.textValue(), fields.optionalString(columns.query()));
      if (text.isBlank()) {
        throw fields.error(Kind.EMPTY_PROMPT, columns.prompt(), "empty prompt");
      }
      promptTurns.add(new Turn(new Message("user", text), Side.USER, "user", columns.prompt()));
    } else if (prompt != null) {
      promptTurns.addAll(turns(fields, prompt, columns.prompt()));
    }
    List<Turn> chosenTurns = afterPrompt(completion(fields, chosen, columns.chosen()), promptTurns);
    List<Turn> rejectedTurns =
        afterPrompt(completion(fields, rejected, columns.rejected()), promptTurns);
    while (chosenTurns.size() > 1
        && rejectedTurns.size() > 1
        && chosenTurns.get(0).message().equals(rejectedTurns.get(0).message())) {
      promptTurns.add(chosenTurns.get(0));
      chosenTurns = chosenTurns.subList(1, chosenTurns.size());
      rejectedTurns = rejectedTurns.subList(1, rejectedTurns.size());
    }
    Message chosenReply = reply(fields, chosenTurns, columns.chosen());
    Message rejectedReply = reply(fields, rejectedTurns, columns.rejected());

    List<Message> messages = new ArrayList<>();
    if (!promptTurns.isEmpty() && promptTurns.get(0).side() == Side.SYSTEM) {
      messages.add(promptTurns.remove(0).message());
    } else {
      String system = fields.optionalString(columns.system());
      if (system != null && !system.isEmpty()) {
        messages.add(new Message("system", system));
      }
    }
    Turns.checkOrder(promptTurns, fields, columns.prompt(), RoleNames.OPENAI, false, true);
    promptTurns.forEach(turn -> messages.add(turn.message()));
    return new Sample.Preference(messages, chosenReply, rejectedReply, row.origin());
  }

  /** LLaMA-Factory's ShareGPT ranking layout. */
  private Sample ranking(Fields fields, JsonNode conversations, Row row) {
    Conversation conversation = sharegpt.parse(fields, conversations);
    Turns.checkOrder(
        conversation.turns(), fields, columns.messages(), sharegpt.roleNames(), false, false);
    List<Message> messages = new ArrayList<>();
    String system =
        conversation.system() != null
            ? conversation.system()
            : fields.optionalString(columns.system());
    if (system != null && !system.isEmpty()) {
      messages.add(new Message("system", system));
    }
    conversation.turns().forEach(turn -> messages.add(turn.message()));
    Message chosen = rankedReply(fields, fields.require(columns.chosen()), columns.chosen());
    Message rejected = rankedReply(fields, fields.require(columns.rejected()), columns.rejected());
    return new Sample.Preference(messages, chosen, rejected, row.origin());
  }

  private Message rankedReply(Fields fields, JsonNode node, String column) {
    if (node.isTextual()) {
      return reply(fields, List.of(assistant(node.textValue(), column)), column);
    }
    return reply(fields, List.of(sharegpt.turn(fields, node, column)), column);
  }

  /** A completion column: a string, one message, or a list of messages. */
  List<Turn> completion(Fields fields, JsonNode node, String column) {
    if (node.isTextual()) {
      return List.of(assistant(node.textValue(), column));
    }
    return turns(fields, node, column);
  }

  List<Turn> turns(Fields fields, JsonNode node, String path) {
    if (node instanceof ObjectNode) {
      return List.of(message(fields, node, path));
    }
    if (!node.isArray()) {
      throw fields.wrongType(path, "a string, a message or a list of messages", node);
    }
    List<Turn> turns = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      turns.add(message(fields, node.get(i), path + "[" + i + "]"));
    }
    return turns;
  }

  /** {role, content, tool_calls?} or ShareGPT's {from, value}. */
  private Turn message(Fields fields, JsonNode node, String path) {
    ObjectNode object = fields.object(node, path);
    if (object.has("role") || !object.has(sharegpt.roleTag())) {
      return OpenAiMapper.turn(fields, object, path);
    }
    return sharegpt.turn(fields, object, path);
  }

  /** The completion without the prompt, when it repeats the prompt first. */
  static List<Turn> afterPrompt(List<Turn> completion, List<Turn> prompt) {
    if (prompt.isEmpty() || completion.size() <= prompt.size()) {
      return completion;
    }
    for (int i = 0; i < prompt.size(); i++) {
      if (!completion.get(i).message().equals(prompt.get(i).message())) {
        return completion;
      }
    }
    return completion.subList(prompt.size(), completion.size());
  }

  /** What is left of a completion must be one non-empty assistant turn. */
  Message reply(Fields fields, List<Turn> turns, String column) {
    if (turns.size() != 1) {
      throw fields.error(
          Kind.ROLE_ORDER,
          column,
          "expected one assistant reply after the prompt, got " + turns.size() + " messages");
    }
    Turn turn = turns.get(0);
    if (turn.side() != Side.ASSISTANT) {
      throw fields.error(
          Kind.ROLE_ORDER, turn.path(), "expected an assistant reply, got " + turn.tag());
    }
    Turns.requireReply(turn.message(), fields, contentPath(turn));
    return turn.message();
  }

  private String contentPath(Turn turn) {
    String path = turn.path();
    if (path.endsWith(".role")) {
      return OpenAiMapper.contentPath(turn);
    }
    if (path.endsWith("." + sharegpt.roleTag())) {
      return sharegpt.contentPath(turn);
    }
    return path;
  }

  private static Turn assistant(String content, String column) {
    return new Turn(new Message("assistant", content), Side.ASSISTANT, "assistant", column);
  }
}
