package io.liandan.llm.data.tokenize;

import io.liandan.llm.data.Message;
import io.liandan.llm.data.Sample;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a conversation into ids and a completion-only loss mask. The conversation is rendered once
 * with the model's template (exactly what inference sees); each assistant turn is then located in
 * the text — from the end of the generation prompt that precedes it (e.g. {@code
 * <|im_start|>assistant\n}) through its end-of-turn token — and tokens inside those spans are
 * trained, everything else (system, user, tool, template tokens) is -100. Rendering once matters:
 * templates such as Qwen3's render earlier turns differently once a later turn exists.
 */
public final class SftEncoder {
  /** An encoded conversation, or why it was dropped. */
  public record Result(int[] ids, byte[] mask, boolean truncated, String dropped) {}

  private final ChatRenderer template;
  private final TextEncoder tokenizer;
  private final String generationPrompt; // what add_generation_prompt appends
  private final String endOfTurn; // what closes an assistant turn, e.g. <|im_end|>
  private final int maxLength;
  private final boolean lastTurnOnly;

  public SftEncoder(
      ChatRenderer template,
      TextEncoder tokenizer,
      String endOfTurn,
      int maxLength,
      boolean lastTurnOnly) {
    this.template = template;
    this.tokenizer = tokenizer;
    this.endOfTurn = endOfTurn != null ? endOfTurn : endOfTurn(template);
    this.maxLength = maxLength;
    this.lastTurnOnly = lastTurnOnly;
    List<Message> probe = List.of(new Message("user", "\u0001"));
    String with = template.render(probe, List.of(), true),
        without = template.render(probe, List.of(), false);
    if (!with.startsWith(without) || with.length() == without.length()) {
      throw new IllegalArgumentException(
          "the chat template adds no generation prompt; cannot locate assistant turns");
    }
    this.generationPrompt = with.substring(without.length());
  }

  /**
   * What the template writes right after an assistant's content (e.g. {@code <|im_end|>} for
   * ChatML, {@code <|eot_id|>} for Llama 3), without trailing whitespace: rendered from a probe.
   */
  static String endOfTurn(ChatRenderer template) {
    String marker = "\u0002";
    String text =
        template.render(
            List.of(new Message("user", "\u0001"), new Message("assistant", marker)),
            List.of(),
            false);
    int at = text.lastIndexOf(marker);
    String tail = at < 0 ? "" : text.substring(at + marker.length()).strip();
    if (tail.isEmpty()) {
      throw new IllegalArgumentException(
          "the chat template writes nothing after an assistant turn; cannot mask completions");
    }
    int nl = tail.indexOf('\n');
    return nl < 0 ? tail : tail.substring(0, nl).strip();
  }

  public Result encode(Sample.Chat chat) {
    String text = template.render(chat.messages(), chat.tools(), false);
    List<int[]> spans = assistantSpans(text, chat);
    if (spans.isEmpty()) return new Result(null, null, false, "no assistant turn to train on");
    if (lastTurnOnly) spans = List.of(spans.get(spans.size() - 1));
    TextEncoder.Encoded enc = tokenizer.encodeWithSpans(text);
    int n = Math.min(enc.length(), maxLength);
    byte[] mask = new byte[n];
    int trained = 0, s = 0;
    for (int t = 0; t < n; t++) {
      while (s < spans.size() && enc.starts()[t] >= spans.get(s)[1]) s++; // past this span
      if (s < spans.size()
          && enc.starts()[t] >= spans.get(s)[0]
          && enc.ends()[t] <= spans.get(s)[1]) {
        mask[t] = 1;
        trained++;
      }
    }
    boolean truncated = enc.length() > maxLength;
    if (trained == 0)
      return new Result(null, null, truncated, "no trainable token within max_length");
    int[] ids = n == enc.length() ? enc.ids() : java.util.Arrays.copyOf(enc.ids(), n);
    return new Result(ids, mask, truncated, null);
  }

  /**
   * [start, end) char spans of the assistant turns in {@code text}, in order: each starts after the
   * generation prompt preceding the turn's content and ends after the end-of-turn marker.
   */
  List<int[]> assistantSpans(String text, Sample.Chat chat) {
    List<int[]> spans = new ArrayList<>();
    int cursor = 0;
    for (Message m : chat.messages()) {
      if (!m.role().equals("assistant")) continue;
      int header = text.indexOf(generationPrompt, cursor);
      if (header < 0) break;
      int start = header + generationPrompt.length();
      int end = text.indexOf(endOfTurn, start);
      end = end < 0 ? text.length() : end + endOfTurn.length();
      spans.add(new int[] {start, end});
      cursor = end;
    }
    return spans;
  }
}
