package io.liandan.llm.generate;

import java.util.List;
import java.util.Set;

/**
 * How to pick the next token, with generate()'s names: greedy unless {@code doSample}; then
 * temperature, top_k (0 = off) and top_p (1 = off) in transformers' order, from a seeded RNG.
 */
public record SamplingConfig(
    int maxNewTokens,
    boolean doSample,
    double temperature,
    int topK,
    double topP,
    long seed,
    Set<Long> eosTokenIds,
    long padTokenId) {

  public SamplingConfig {
    eosTokenIds = eosTokenIds == null ? Set.of() : Set.copyOf(eosTokenIds);
    List<String> p = new java.util.ArrayList<>();
    if (maxNewTokens < 0) p.add("max_new_tokens must be >= 0, got " + maxNewTokens);
    if (doSample && !(temperature > 0)) p.add("temperature must be > 0, got " + temperature);
    if (topK < 0) p.add("top_k must be >= 0, got " + topK);
    if (!(topP > 0 && topP <= 1)) p.add("top_p must be in (0, 1], got " + topP);
    if (!p.isEmpty()) throw new IllegalArgumentException(String.join("; ", p));
  }

  public static SamplingConfig greedy(int maxNewTokens) {
    return new SamplingConfig(maxNewTokens, false, 1, 0, 1, 0, Set.of(), 0);
  }

  public SamplingConfig withEos(Set<Long> eos, long pad) {
    return new SamplingConfig(maxNewTokens, doSample, temperature, topK, topP, seed, eos, pad);
  }
}
