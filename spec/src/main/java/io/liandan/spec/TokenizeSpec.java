package io.liandan.spec;

import java.util.ArrayList;
import java.util.List;

/**
 * How to tokenise a dataset, with the names users know: {@code block_size} (PT packing), {@code
 * max_length}, {@code max_prompt_length} and {@code max_completion_length} (DPO, KTO), whether only
 * the last assistant turn is trained (SFT), and the seeded train/eval split.
 */
public record TokenizeSpec(
    String kind,
    int blockSize,
    int maxLength,
    int maxPromptLength,
    int maxCompletionLength,
    boolean lastTurnOnly,
    double evalRatio,
    long seed,
    long shardTokens) {
  public static final List<String> KINDS = List.of("pt", "sft", "dpo", "kto");

  public TokenizeSpec {
    List<String> p = new ArrayList<>();
    if (!KINDS.contains(kind)) p.add("kind '" + kind + "' is not one of " + KINDS);
    if ("pt".equals(kind) && blockSize < 2) p.add("block_size must be >= 2, got " + blockSize);
    if (!"pt".equals(kind) && maxLength < 2) p.add("max_length must be >= 2, got " + maxLength);
    if (maxPromptLength < 0 || maxCompletionLength < 0)
      p.add("max_prompt_length and max_completion_length must be >= 0");
    if (!(evalRatio >= 0 && evalRatio < 1)) p.add("eval_ratio must be in [0, 1), got " + evalRatio);
    if (shardTokens <= 0) p.add("shard_tokens must be positive");
    if (!p.isEmpty()) throw new IllegalArgumentException(String.join("; ", p));
  }

  public static TokenizeSpec pt(int blockSize, double evalRatio, long seed) {
    return new TokenizeSpec("pt", blockSize, 0, 0, 0, false, evalRatio, seed, 256L << 20);
  }

  public static TokenizeSpec sft(int maxLength, boolean lastTurnOnly, double evalRatio, long seed) {
    return new TokenizeSpec("sft", 0, maxLength, 0, 0, lastTurnOnly, evalRatio, seed, 256L << 20);
  }

  public static TokenizeSpec dpo(int maxLength, int maxPromptLength, double evalRatio, long seed) {
    return new TokenizeSpec(
        "dpo", 0, maxLength, maxPromptLength, 0, false, evalRatio, seed, 256L << 20);
  }

  public static TokenizeSpec kto(int maxLength, int maxPromptLength, double evalRatio, long seed) {
    return new TokenizeSpec(
        "kto", 0, maxLength, maxPromptLength, 0, false, evalRatio, seed, 256L << 20);
  }

  /** Seeded, order-independent split: the same sample goes to the same side on every run. */
  public boolean isEval(long sampleIndex) {
    if (evalRatio == 0) return false;
    long z =
        (seed * 0x9E3779B97F4A7C15L) ^ (sampleIndex + 0x632BE59BD9B4E019L); // SplitMix64 finaliser
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return (z >>> 11) * 0x1.0p-53 < evalRatio;
  }
}
