package io.liandan.llm.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.liandan.llm.kernels.Fusion;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.KvCache;
import io.liandan.llm.tensor.NoGrad;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Batched generation with a KV cache preallocated for the prompt and max_new_tokens: prompts are
 * left-padded (positions count real tokens only, as transformers' generate does), one forward over
 * the prompts, then one token per step until every row has emitted an EOS id or max_new_tokens is
 * reached.
 */
public final class Generator {
  private final Decoder model;

  public Generator(Decoder model) {
    this.model = model;
  }

  /** Returns each prompt followed by its new tokens (up to and including an EOS id). */
  public List<long[]> generate(List<long[]> prompts, SamplingConfig cfg) {
    int B = prompts.size(), L = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
    if (B == 0) return List.of();
    if (L == 0)
      throw new IllegalArgumentException("empty prompt: generation needs at least one token");
    int V = model.config().vocabSize();
    long[] ids = new long[B * L], mask = new long[B * L], pos = new long[B * L];
    long[] nextPos = new long[B];
    for (int b = 0; b < B; b++) {
      long[] p = prompts.get(b);
      int pad = L - p.length;
      Arrays.fill(ids, b * L, b * L + pad, cfg.padTokenId());
      for (int t = 0; t < p.length; t++) {
        ids[b * L + pad + t] = p[t];
        mask[b * L + pad + t] = 1;
        pos[b * L + pad + t] = t;
      }
      for (int t = 0; t < pad; t++)
        pos[b * L + t] = 1; // transformers fills padding positions with 1
      nextPos[b] = p.length;
    }
    List<List<Long>> out = new ArrayList<>();
    for (long[] p : prompts) out.add(new ArrayList<>(Arrays.stream(p).boxed().toList()));
    boolean[] done = new boolean[B];
    TokenSampler sampler = new TokenSampler(cfg);
    NDManager m = model.manager();
    long[] fullMask = mask, fullIds = ids, fullPos = pos; // (B, Tk): everything fed so far
    // without padding no key is ever masked: the model is given no mask, so decode steps add none
    boolean padded = prompts.stream().anyMatch(p -> p.length < L);
    int restart = model.config().generationCacheRestart();
    int layers = model.config().numHiddenLayers();
    long capacity = (long) L + cfg.maxNewTokens(); // every position this generation can feed
    KvCache cache = new KvCache(layers, capacity);
    // fused kernel plans are allowed here: nothing generated feeds a training state
    try (NoGrad ng = new NoGrad();
        Fusion fused = Fusion.on()) {
      long[] stepIds = ids, stepPos = pos;
      int T = L;
      for (int step = 0; step < cfg.maxNewTokens(); step++) {
        if (restart > 0 && T == 1 && cache.length() == restart) {
          // Phi-3 with longrope, as its prepare_inputs_for_generation: once the sequence passes
          // the original length, the cache is dropped and every position recomputed, so that all
          // keys rotate with the long factors
          cache.close();
          cache = new KvCache(layers, capacity);
          stepIds = fullIds;
          stepPos = fullPos;
          T = fullIds.length / B;
        }
        float[] last = null; // (B·V) logits for sampling
        long[] best = null; // (B) greedy picks, made by torch: no logits leave the device
        try (NDScope scope = new NDScope()) {
          NDArray logits =
              model.forwardLast(
                  m.create(stepIds, new Shape(B, T)),
                  padded ? m.create(fullMask, new Shape(B, fullMask.length / B)) : null,
                  m.create(stepPos, new Shape(B, T)),
                  cache);
          if (cfg.doSample()) last = logits.toFloatArray(); // (B, 1, V) → B·V
          else best = logits.argMax(-1).toLongArray(); // (B, 1): the first maximum, as Java's
        }
        stepIds = new long[B];
        stepPos = new long[B];
        boolean all = true;
        for (int b = 0; b < B; b++) {
          long tok =
              done[b] ? cfg.padTokenId() : best != null ? best[b] : sampler.next(last, b * V, V);
          if (!done[b]) {
            out.get(b).add(tok);
            done[b] = cfg.eosTokenIds().contains(tok);
          }
          all &= done[b];
          stepIds[b] = tok;
          stepPos[b] = nextPos[b]++;
        }
        if (all) break;
        if (padded) fullMask = appendOnes(fullMask, B); // unpadded, the model gets no mask
        fullIds = append(fullIds, stepIds, B);
        fullPos = append(fullPos, stepPos, B);
        T = 1;
      }
    } finally {
      cache.close();
    }
    List<long[]> result = new ArrayList<>();
    for (List<Long> row : out) result.add(row.stream().mapToLong(Long::longValue).toArray());
    return result;
  }

  /** (B, Tk) and (B) → (B, Tk+1): each row's new entry appended. */
  private static long[] append(long[] rows, long[] next, int B) {
    int tk = rows.length / B;
    long[] out = new long[B * (tk + 1)];
    for (int b = 0; b < B; b++) {
      System.arraycopy(rows, b * tk, out, b * (tk + 1), tk);
      out[b * (tk + 1) + tk] = next[b];
    }
    return out;
  }

  /** (B, Tk) mask → (B, Tk+1) with the new position real. */
  private static long[] appendOnes(long[] mask, int B) {
    int tk = mask.length / B;
    long[] next = new long[B * (tk + 1)];
    for (int b = 0; b < B; b++) {
      System.arraycopy(mask, b * tk, next, b * (tk + 1), tk);
      next[b * (tk + 1) + tk] = 1;
    }
    return next;
  }
}
