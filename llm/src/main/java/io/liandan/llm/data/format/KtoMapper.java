package io.liandan.llm.data.format;

import com.fasterxml.jackson.databind.JsonNode;
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
 * Unpaired KTO examples → Sample.Kto, in the layouts TRL and LLaMA-Factory read:
 *
 * <ol>
 *   <li>TRL's unpaired preference: {"prompt", "completion", "label"}, prompt and completion as
 *       strings or (conversational) message lists; a completion that repeats the prompt first is
 *       cut after it, as for preference pairs;
 *   <li>LLaMA-Factory's alpaca kto: {"instruction", "input"?, "output", "history"?, "system"?} plus
 *       the {@code kto_tag} column, user turn = instruction + "\n" + input as for SFT;
 *   <li>a conversation ({@code messages}: LLaMA-Factory's sharegpt kto, {from, value} or {role,
 *       content}) whose last turn is the assistant completion and the turns before it the prompt;
 *       used when the row has no prompt column.
 * </ol>
 *
 * The label must be a JSON boolean (TRL's datasets store bool; a string "false" would be truthy to
 * Python and silently flip the example, so it is refused).
 *
 * @param pairs the message and completion parsing that preference pairs share
 */
record KtoMapper(FormatSpec.Columns columns, PreferenceMapper pairs, SharegptMapper sharegpt)
    implements SampleMapper {
  static KtoMapper of(FormatSpec spec) {
    return new KtoMapper(spec.columns(), PreferenceMapper.of(spec), new SharegptMapper(spec));
  }

  @Override
  public Sample map(Row row) {
    Fields fields = new Fields(row, Format.KTO);
    JsonNode prompt = fields.get(columns.prompt());
    JsonNode conversation = fields.get(columns.messages());
    return prompt == null && conversation != null
        ? conversation(fields, conversation, row)
        : promptAndCompletion(fields, row);
  }

  private Sample.Kto promptAndCompletion(Fields fields, Row row) {
    JsonNode prompt = fields.require(columns.prompt());
    JsonNode completion = fields.require(columns.response());
    List<Message> messages = new ArrayList<>();
    String system = fields.optionalString(columns.system());
    List<Turn> promptTurns = new ArrayList<>();
    if (prompt.isTextual()) {
      if (system != null && !system.isEmpty()) messages.add(new Message("system", system));
      AlpacaMapper.history(fields, columns.history(), messages);
      String text = AlpacaMapper.join(prompt.textValue(), fields.optionalString(columns.query()));
      if (text.isBlank()) {
        throw fields.error(Kind.EMPTY_PROMPT, columns.prompt(), "empty prompt");
      }
      promptTurns.add(new Turn(new Message("user", text), Side.USER, "user", columns.prompt()));
    } else {
      promptTurns.addAll(pairs.turns(fields, prompt, columns.prompt()));
      if (!promptTurns.isEmpty() && promptTurns.get(0).side() == Side.SYSTEM) {
        messages.add(promptTurns.remove(0).message());
      } else if (system != null && !system.isEmpty()) {
        messages.add(new Message("system", system));
      }
      Turns.checkOrder(promptTurns, fields, columns.prompt(), RoleNames.OPENAI, false, true);
    }
    List<Turn> completionTurns =
        PreferenceMapper.afterPrompt(
            pairs.completion(fields, completion, columns.response()), promptTurns);
    Message reply = pairs.reply(fields, completionTurns, columns.response());
    promptTurns.forEach(turn -> messages.add(turn.message()));
    return new Sample.Kto(messages, reply, label(fields), row.origin());
  }

  /** A whole conversation: the last turn is the completion, the others the prompt. */
  private Sample.Kto conversation(Fields fields, JsonNode node, Row row) {
    String path = columns.messages();
    List<Turn> turns = new ArrayList<>(pairs.turns(fields, node, path));
    List<Message> messages = new ArrayList<>();
    if (!turns.isEmpty() && turns.get(0).side() == Side.SYSTEM) {
      messages.add(turns.remove(0).message());
    } else {
      String system = fields.optionalString(columns.system());
      if (system != null && !system.isEmpty()) messages.add(new Message("system", system));
    }
    if (turns.size() < 2) {
      throw fields.error(
          Kind.ROLE_ORDER,
          path,
          "expected a prompt and the completion (the last, assistant turn), got "
              + turns.size()
              + " turn"
              + (turns.size() == 1 ? "" : "s"));
    }
    Turn last = turns.remove(turns.size() - 1);
    Message reply = pairs.reply(fields, List.of(last), path);
    Turns.checkOrder(turns, fields, path, sharegpt.roleNames(), false, true);
    turns.forEach(turn -> messages.add(turn.message()));
    return new Sample.Kto(messages, reply, label(fields), row.origin());
  }

  private boolean label(Fields fields) {
    JsonNode tag = fields.require(columns.ktoTag());
    if (!tag.isBoolean()) {
      throw fields.wrongType(columns.ktoTag(), "true or false", tag);
    }
    return tag.booleanValue();
  }
}
