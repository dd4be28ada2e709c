package io.liandan.llm.data.tokenize;

import io.liandan.llm.data.Message;
import io.liandan.llm.data.Sample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A preference pair as TRL's DPOTrainer tokenises it: prompt = template(prompt, generation prompt);
 * each completion = template(prompt + reply) minus that prefix, tokenised separately, followed by
 * EOS; the prompt keeps its last {@code max_prompt_length} tokens, completions their first {@code
 * max_completion_length}; then, if prompt + the longer completion exceeds {@code max_length}, the
 * prompt loses tokens from its start (TRL's default truncation_mode "keep_end"), never the replies.
 */
public record DpoEncoder(
    ChatRenderer template,
    TextEncoder tokenizer,
    int maxLength, // each limit: 0 = none
    int maxPromptLength,
    int maxCompletionLength) {
  /** prompt / chosen / rejected ids, or why the pair was dropped. */
  public record Result(
      int[] prompt, int[] chosen, int[] rejected, boolean truncated, String dropped) {}

  public Result encode(Sample.Preference p) {
    String prompt = template.render(p.prompt(), List.of(), true);
    int[] promptIds = tokenizer.encode(prompt);
    int[] chosen = completion(p, p.chosen(), prompt),
        rejected = completion(p, p.rejected(), prompt);
    boolean truncated = false;
    if (maxPromptLength > 0 && promptIds.length > maxPromptLength) {
      promptIds =
          Arrays.copyOfRange(promptIds, promptIds.length - maxPromptLength, promptIds.length);
      truncated = true;
    }
    if (maxCompletionLength > 0) {
      truncated |= chosen.length > maxCompletionLength || rejected.length > maxCompletionLength;
      chosen = head(chosen, maxCompletionLength);
      rejected = head(rejected, maxCompletionLength);
    }
    int longest = Math.max(chosen.length, rejected.length);
    if (maxLength > 0 && promptIds.length + longest > maxLength) {
      truncated = true;
      int keep = Math.max(1, maxLength - longest); // at least one prompt token to condition on
      promptIds =
          Arrays.copyOfRange(promptIds, Math.max(0, promptIds.length - keep), promptIds.length);
      chosen = head(chosen, maxLength - promptIds.length);
      rejected = head(rejected, maxLength - promptIds.length);
    }
    if (chosen.length == 0 || rejected.length == 0) {
      return new Result(null, null, null, truncated, "no completion token within max_length");
    }
    return new Result(promptIds, chosen, rejected, truncated, null);
  }

  private int[] completion(Sample.Preference p, Message reply, String prompt) {
    List<Message> all = new ArrayList<>(p.prompt());
    all.add(reply);
    String full = template.render(all, List.of(), false);
    if (!full.startsWith(prompt)) {
      throw new IllegalArgumentException(
          p.origin()
              + ": the chat template renders the prompt differently once a reply follows; cannot split prompt and completion");
    }
    int[] ids = tokenizer.encode(full.substring(prompt.length()));
    int[] withEos = Arrays.copyOf(ids, ids.length + 1);
    withEos[ids.length] = tokenizer.eosId(); // TRL appends EOS to every completion
    return withEos;
  }

  private static int[] head(int[] a, int n) {
    return a.length <= n ? a : Arrays.copyOf(a, Math.max(0, n));
  }
}
