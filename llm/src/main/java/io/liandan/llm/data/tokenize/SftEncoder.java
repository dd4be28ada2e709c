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
 *
 * @param endOfTurn what closes an assistant turn, e.g. {@code <|im_end|>}
 * @param generationPrompt what add_generation_prompt appends, or null
 */
public record SftEncoder(
    ChatRenderer template,
    TextEncoder tokenizer,
    String endOfTurn,
    String generationPrompt,
    int maxLength,
    boolean lastTurnOnly) {
  /** An encoded conversation, or why it was dropped. */
  public record Result(int[] ids, byte[] mask, boolean truncated, String dropped) {}

  /**
   * An encoder with what add_generation_prompt appends probed from {@code template}, and the end of
   * a turn too when {@code endOfTurn} is null.
   */
  public SftEncoder(
      ChatRenderer template,
      TextEncoder tokenizer,
      String endOfTurn,
      int maxLength,
      boolean lastTurnOnly) {
    this(
        template,
        tokenizer,
        endOfTurn != null ? endOfTurn : endOfTurn(template),
        generationPrompt(template),
        maxLength,
        lastTurnOnly);
  }

  /**
   * What add_generation_prompt adds after a user turn (e.g. {@code <|im_start|>assistant\n}): the
   * text after what the renders with and without it share, since some templates end a prompt that
   * gets no reply with something else (Phi-3 writes its eos there). Null when the template adds
   * nothing (Mistral's): each reply is then found by its own text.
   */
  static String generationPrompt(ChatRenderer template) {
    List<Message> probe = List.of(new Message("user", "\u0001"));
    String with = template.render(probe, List.of(), true),
        without = template.render(probe, List.of(), false);
    int shared = 0;
    while (shared < Math.min(with.length(), without.length())
        && with.charAt(shared) == without.charAt(shared)) shared++;
    String added = with.substring(shared);
    return added.isEmpty() ? null : added;
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
      int start;
      if (generationPrompt != null) {
        if (!m.role().equals("assistant")) continue;
        int header = text.indexOf(generationPrompt, cursor);
        if (header < 0) break;
        start = header + generationPrompt.length();
      } else {
        // no generation prompt: every user and assistant turn is found by its own (trimmed) text
        // in order, so a reply quoted in an earlier prompt is passed over; system text is left
        // out of the search, as templates such as Mistral's move it into a later user turn
        if (m.role().equals("system")) continue;
        String body = m.content() == null ? "" : m.content().strip();
        int at = body.isEmpty() ? cursor : text.indexOf(body, cursor);
        if (at < 0) break;
        if (!m.role().equals("assistant")) {
          cursor = at + body.length();
          continue;
        }
        start = at;
      }
      int end = text.indexOf(endOfTurn, start);
      end = end < 0 ? text.length() : end + endOfTurn.length();
      spans.add(new int[] {start, end});
      cursor = end;
    }
    return spans;
  }
}
