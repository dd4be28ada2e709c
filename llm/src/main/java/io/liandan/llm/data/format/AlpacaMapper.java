package io.liandan.llm.data.format;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.llm.data.Message;
import io.liandan.llm.data.Sample;
import io.liandan.llm.data.io.DatasetException.Kind;
import io.liandan.llm.data.io.Row;
import io.liandan.spec.Format;
import io.liandan.spec.FormatSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Alpaca: {"instruction", "input", "output", "system"?, "history"?: [[query, response], …]} →
 * Sample.Chat [system?, history turns…, user: instruction + "\n" + input, assistant: output]. The
 * user turn joins the non-empty parts of instruction and input with a newline, as LLaMA-Factory.
 */
record AlpacaMapper(FormatSpec.Columns columns) implements SampleMapper {

  @Override
  public Sample map(Row row) {
    Fields fields = new Fields(row, Format.ALPACA);
    String instruction = fields.requireString(columns.prompt());
    String input = fields.optionalString(columns.query());
    String output = fields.requireString(columns.response());
    String system = fields.optionalString(columns.system());

    List<Message> messages = new ArrayList<>();
    if (system != null && !system.isEmpty()) {
      messages.add(new Message("system", system));
    }
    history(fields, columns.history(), messages);
    String user = join(instruction, input);
    if (user.isEmpty()) {
      throw fields.error(
          Kind.EMPTY_PROMPT, columns.prompt(), "empty prompt (instruction and input are empty)");
    }
    messages.add(new Message("user", user));
    Message reply = new Message("assistant", output);
    Turns.requireReply(reply, fields, columns.response());
    messages.add(reply);
    List<Object> tools = Turns.tools(fields.get(columns.tools()), fields, columns.tools());
    return new Sample.Chat(messages, tools, row.origin());
  }

  /** The optional history column's [query, response] pairs as user/assistant turns. */
  static void history(Fields fields, String column, List<Message> messages) {
    JsonNode history = fields.get(column);
    if (history != null) {
      if (!history.isArray()) {
        throw fields.wrongType(column, "a list of [query, response] pairs", history);
      }
      for (int i = 0; i < history.size(); i++) {
        String path = column + "[" + i + "]";
        JsonNode pair = history.get(i);
        if (!pair.isArray() || pair.size() != 2) {
          String found = pair.isArray() ? "an array of " + pair.size() : null;
          throw found == null
              ? fields.wrongType(path, "a [query, response] pair", pair)
              : fields.error(
                  Kind.WRONG_TYPE, path, "expected a [query, response] pair, got " + found);
        }
        messages.add(new Message("user", fields.string(pair.get(0), path + "[0]")));
        messages.add(new Message("assistant", fields.string(pair.get(1), path + "[1]")));
      }
    }
  }

  /** "instruction\ninput", leaving out empty parts. */
  static String join(String instruction, String input) {
    boolean hasInput = input != null && !input.isEmpty();
    if (instruction.isEmpty()) {
      return hasInput ? input : "";
    }
    return hasInput ? instruction + "\n" + input : instruction;
  }
}
