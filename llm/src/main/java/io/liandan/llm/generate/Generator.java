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
    int B = prompts.size();
    if (B == 0) return List.of();
    Fed fed = Fed.of(prompts, cfg.padTokenId());
    List<List<Long>> out = new ArrayList<>();
    for (long[] p : prompts) out.add(new ArrayList<>(Arrays.stream(p).boxed().toList()));
    boolean[] done = new boolean[B];
    TokenSampler sampler = new TokenSampler(cfg);
    int V = model.config().vocabSize();
    int restart = model.config().generationCacheRestart();
    int layers = model.config().numHiddenLayers();
    long capacity = (long) fed.T() + cfg.maxNewTokens(); // every position this generation can feed
    KvCache cache = new KvCache(layers, capacity);
    // fused kernel plans are allowed here: nothing generated feeds a training state
    try (NoGrad ng = new NoGrad();
        Fusion fused = Fusion.on()) {
      long[] stepIds = fed.ids(), stepPos = fed.pos();
      for (int step = 0; step < cfg.maxNewTokens(); step++) {
        if (restart > 0 && stepIds.length == B && cache.length() == restart) {
          // Phi-3 with longrope, as its prepare_inputs_for_generation: once the sequence passes
          // the original length, the cache is dropped and every position recomputed, so that all
          // keys rotate with the long factors
          cache.close();
          cache = new KvCache(layers, capacity);
          stepIds = fed.ids();
          stepPos = fed.pos();
        }
        Picks picks = forward(stepIds, stepPos, fed, cache, cfg.doSample());
        stepIds = new long[B];
        stepPos = new long[B];
        boolean all = true;
        for (int b = 0; b < B; b++) {
          long tok =
              done[b]
                  ? cfg.padTokenId()
                  : picks.best != null ? picks.best[b] : sampler.next(picks.logits, b * V, V);
          if (!done[b]) {
            out.get(b).add(tok);
            done[b] = cfg.eosTokenIds().contains(tok);
          }
          all &= done[b];
          stepIds[b] = tok;
          stepPos[b] = fed.nextPos()[b]++;
        }
        if (all) break;
        fed = fed.append(stepIds, stepPos);
      }
    } finally {
      cache.close();
    }
    List<long[]> result = new ArrayList<>();
    for (List<Long> row : out) result.add(row.stream().mapToLong(Long::longValue).toArray());
    return result;
  }

  /** One step's choice: B·V logits to sample from, or B greedy ids picked by torch. */
  private record Picks(float[] logits, long[] best) {}

  /** The model on this step's (B, T) ids and positions; the head on the last position only. */
  private Picks forward(long[] ids, long[] pos, Fed fed, KvCache cache, boolean sample) {
    int B = fed.B(), T = ids.length / B;
    NDManager m = model.manager();
    try (NDScope scope = new NDScope()) {
      NDArray logits =
          model.forwardLast(
              m.create(ids, new Shape(B, T)),
              fed.padded() ? m.create(fed.mask(), new Shape(B, fed.mask().length / B)) : null,
              m.create(pos, new Shape(B, T)),
              cache);
      // greedy: no logits leave the device; argMax takes the first maximum, as Java's would
      return sample
          ? new Picks(logits.toFloatArray(), null) // (B, 1, V) → B·V
          : new Picks(null, logits.argMax(-1).toLongArray()); // (B, 1)
    }
  }

  /**
   * Everything fed so far, (B, Tk) each: the prompts left-padded (positions count real tokens only,
   * as transformers' generate does) and then each step's tokens; the mask only matters, and is only
   * grown, when some row is padded (unpadded, the model gets no mask). {@code nextPos} (B) is each
   * row's next position, advanced in place as tokens are picked.
   */
  private record Fed(int B, boolean padded, long[] ids, long[] mask, long[] pos, long[] nextPos) {
    static Fed of(List<long[]> prompts, long padTokenId) {
      int B = prompts.size(), L = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
      if (L == 0)
        throw new IllegalArgumentException("empty prompt: generation needs at least one token");
      long[] ids = new long[B * L], mask = new long[B * L], pos = new long[B * L];
      long[] nextPos = new long[B];
      for (int b = 0; b < B; b++) {
        long[] p = prompts.get(b);
        int pad = L - p.length;
        Arrays.fill(ids, b * L, b * L + pad, padTokenId);
        for (int t = 0; t < p.length; t++) {
          ids[b * L + pad + t] = p[t];
          mask[b * L + pad + t] = 1;
          pos[b * L + pad + t] = t;
        }
        for (int t = 0; t < pad; t++) pos[b * L + t] = 1; // transformers fills padding with 1
        nextPos[b] = p.length;
      }
      boolean padded = prompts.stream().anyMatch(p -> p.length < L);
      return new Fed(B, padded, ids, mask, pos, nextPos);
    }

    int T() {
      return ids.length / B;
    }

    /** What is fed after one more step: each row's token and position appended. */
    Fed append(long[] stepIds, long[] stepPos) {
      return new Fed(
          B,
          padded,
          Generator.append(ids, stepIds, B),
          padded ? appendOnes(mask, B) : mask,
          Generator.append(pos, stepPos, B),
          nextPos);
    }
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
