package io.liandan.llm.data.tokenize;

import io.liandan.llm.data.Sample;
import java.util.List;

/**
 * KTO examples as TRL's KTOTrainer tokenises them: the prompt rendered with the generation prompt,
 * the completion as the rest of the rendered conversation followed by EOS, and the same truncation
 * as {@link DpoEncoder} with one completion (prompt keeps its end, the completion its start). A
 * preference pair is unpaired first, as KTOTrainer's {@code maybe_unpair_preference_dataset}: the
 * chosen reply a desirable example, the rejected one an undesirable one.
 */
public final class KtoEncoder {
  /** One example's prompt and completion ids and label, or why it was dropped. */
  public record Result(
      int[] prompt, int[] completion, boolean desirable, boolean truncated, String dropped) {}

  /** What one sample gave (the tokenize stage's chunk holds one object per sample). */
  public record Results(List<Result> results) {}

  private final DpoEncoder pairs;

  public KtoEncoder(
      ChatRenderer template,
      TextEncoder tokenizer,
      int maxLength,
      int maxPromptLength,
      int maxCompletionLength) {
    this.pairs =
        new DpoEncoder(template, tokenizer, maxLength, maxPromptLength, maxCompletionLength);
  }

  /** A Sample.Kto gives one result, a Sample.Preference two (desirable, then undesirable). */
  public List<Result> encode(Sample s) {
    if (s instanceof Sample.Kto k) {
      // a pair whose two replies are this completion truncates exactly as one completion would
      return List.of(
          result(
              pairs.encode(
                  new Sample.Preference(k.prompt(), k.completion(), k.completion(), k.origin())),
              k.desirable()));
    }
    if (s instanceof Sample.Preference p) {
      return List.of(
          result(
              pairs.encode(new Sample.Preference(p.prompt(), p.chosen(), p.chosen(), p.origin())),
              true),
          result(
              pairs.encode(
                  new Sample.Preference(p.prompt(), p.rejected(), p.rejected(), p.origin())),
              false));
    }
    throw new IllegalArgumentException(
        s.origin()
            + ": a kto stage needs kto or preference samples, got "
            + s.getClass().getSimpleName().toLowerCase()
            + " (check the dataset's format)");
  }

  private static Result result(DpoEncoder.Result r, boolean desirable) {
    return new Result(r.prompt(), r.chosen(), desirable, r.truncated(), r.dropped());
  }
}
