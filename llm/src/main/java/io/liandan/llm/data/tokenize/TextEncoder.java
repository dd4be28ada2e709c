package io.liandan.llm.data.tokenize;

import java.util.List;

/**
 * What the tokenize stage needs from a tokenizer: ids without special tokens added (transformers'
 * {@code add_special_tokens=False}, so template text decides every special token) and, for
 * completion-only masks, each token's character span in the text.
 */
public interface TextEncoder {
  /** Token ids of {@code text} and each token's [start, end) in {@code text}'s chars. */
  record Encoded(int[] ids, int[] starts, int[] ends) {
    public int length() {
      return ids.length;
    }
  }

  int[] encode(String text);

  Encoded encodeWithSpans(String text);

  /** Many texts at once (tokenizers parallelise a batch natively). */
  default List<int[]> encodeBatch(List<String> texts) {
    return texts.stream().map(this::encode).toList();
  }

  /** The id appended after each pretraining document. */
  int eosId();
}
