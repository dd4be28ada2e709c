package io.liandan.llm.data.tokenize;

import io.liandan.llm.data.Sample;
import io.liandan.spec.TokenizeSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The tokenize stage's work, free of Temporal: normalised samples in, token shards and a manifest
 * out. Samples are processed in chunks (rendered and tokenised in parallel, written in input
 * order), so memory does not grow with the dataset and the output does not depend on threads.
 */
public final class TokenizeStage {
  static final int CHUNK = 512;

  private final TokenizeSpec spec;
  private final ChatRenderer template;
  private final TextEncoder tokenizer;
  private final String endOfTurn;

  /**
   * @param endOfTurn the text that closes an assistant turn in this template (SFT masks), e.g.
   *     {@code <|im_end|>}; null: derived from the template
   */
  public TokenizeStage(
      TokenizeSpec spec, ChatRenderer template, TextEncoder tokenizer, String endOfTurn) {
    this.spec = spec;
    this.template = template;
    this.tokenizer = tokenizer;
    this.endOfTurn = endOfTurn;
  }

  /** Splits {@code samples} into train and eval by the spec's seeded ratio. */
  public TokenizeManifest run(Iterator<? extends Sample> samples, Path out) {
    return run(samples, null, out);
  }

  /**
   * With {@code evalSamples} — the dataset's own eval split — every sample of {@code samples} goes
   * to train and the ratio is not used; with null, the seeded ratio splits {@code samples}.
   */
  public TokenizeManifest run(
      Iterator<? extends Sample> samples, Iterator<? extends Sample> evalSamples, Path out) {
    Iterator<Tagged> tagged = tag(samples, evalSamples);
    Map<String, Long> dropped = new TreeMap<>(), perSource = new TreeMap<>();
    long read = 0, truncated = 0, remainder = 0;
    try (ShardWriter train = new ShardWriter(out.resolve("train"), spec.shardTokens());
        ShardWriter eval = new ShardWriter(out.resolve("eval"), spec.shardTokens())) {
      PretrainPacker[] packers =
          spec.kind().equals("pt") ? new PretrainPacker[] {packer(train), packer(eval)} : null;
      Function<Sample, Object> encode = encoder();
      List<Tagged> chunk = new ArrayList<>(CHUNK);
      List<Runnable> laterInChunk = new ArrayList<>();
      while (tagged.hasNext() || !chunk.isEmpty()) {
        if (tagged.hasNext() && chunk.size() < CHUNK) {
          chunk.add(tagged.next());
          continue;
        }
        List<Object> results = chunk.parallelStream().map(t -> encode.apply(t.sample)).toList();
        for (int i = 0; i < chunk.size(); i++) {
          Sample s = chunk.get(i).sample;
          boolean isEval = chunk.get(i).eval != null ? chunk.get(i).eval : spec.isEval(read);
          read++;
          perSource.merge(s.origin().file(), 1L, Long::sum);
          ShardWriter w = isEval ? eval : train;
          Object r = results.get(i);
          if (r instanceof int[] ids) {
            packers[isEval ? 1 : 0].add(ids);
          } else if (r instanceof SftEncoder.Result sft) {
            truncated += sft.truncated() ? 1 : 0;
            if (sft.dropped() != null) dropped.merge(sft.dropped(), 1L, Long::sum);
            else w.add(List.of(sft.ids()), List.of(sft.mask()));
          } else if (r instanceof KtoEncoder.Results kto) {
            List<KtoEncoder.Result> all = kto.results();
            for (int j = 0; j < all.size(); j++) {
              KtoEncoder.Result k = all.get(j);
              truncated += k.truncated() ? 1 : 0;
              if (k.dropped() != null) dropped.merge(k.dropped(), 1L, Long::sum);
              else if (j == 0) writeKto(w, k);
              // an unpaired pair's rejected half goes after the chunk, as TRL's batched unpairing
              // puts the rejected block after the chosen one: the KL rows (each prompt with its
              // neighbour's completion) then do not pair a prompt with its own chosen reply
              else laterInChunk.add(() -> writeKto(w, k));
            }
          } else if (r instanceof DpoEncoder.Result dpo) {
            truncated += dpo.truncated() ? 1 : 0;
            if (dpo.dropped() != null) dropped.merge(dpo.dropped(), 1L, Long::sum);
            else
              w.add(
                  List.of(dpo.prompt(), dpo.chosen(), dpo.rejected()),
                  List.of(
                      new byte[dpo.prompt().length],
                      ones(dpo.chosen().length),
                      ones(dpo.rejected().length)));
          }
        }
        laterInChunk.forEach(Runnable::run);
        laterInChunk.clear();
        chunk.clear();
      }
      if (packers != null) remainder = packers[0].remainder() + packers[1].remainder();
      train.commit();
      eval.commit();
      TokenizeManifest m =
          new TokenizeManifest(
              spec.kind(),
              spec,
              read,
              truncated,
              dropped,
              perSource,
              remainder,
              Map.of("train", train.split(), "eval", eval.split()));
      m.write(out);
      return m;
    }
  }

  /** A sample and its forced split (null: decided by the ratio). */
  private record Tagged(Sample sample, Boolean eval) {}

  private static Iterator<Tagged> tag(
      Iterator<? extends Sample> main, Iterator<? extends Sample> eval) {
    return new Iterator<>() {
      public boolean hasNext() {
        return main.hasNext() || (eval != null && eval.hasNext());
      }

      public Tagged next() {
        if (main.hasNext()) return new Tagged(main.next(), eval == null ? null : false);
        return new Tagged(eval.next(), true);
      }
    };
  }

  private Function<Sample, Object> encoder() {
    return switch (spec.kind()) {
      case "pt" -> s -> tokenizer.encode(text(s));
      case "sft" -> {
        SftEncoder e =
            new SftEncoder(template, tokenizer, endOfTurn, spec.maxLength(), spec.lastTurnOnly());
        yield s -> e.encode(as(s, Sample.Chat.class));
      }
      case "kto" -> {
        KtoEncoder e =
            new KtoEncoder(
                template,
                tokenizer,
                spec.maxLength(),
                spec.maxPromptLength(),
                spec.maxCompletionLength());
        yield s -> new KtoEncoder.Results(e.encode(s));
      }
      default -> {
        DpoEncoder e =
            new DpoEncoder(
                template,
                tokenizer,
                spec.maxLength(),
                spec.maxPromptLength(),
                spec.maxCompletionLength());
        yield s -> e.encode(as(s, Sample.Preference.class));
      }
    };
  }

  /**
   * A KTO example as three segments: prompt (untrained), completion (trained), and its label as one
   * untrained token (1 desirable, 0 not), so that it groups in threes like a DPO pair.
   */
  private static void writeKto(ShardWriter w, KtoEncoder.Result k) {
    w.add(
        List.of(k.prompt(), k.completion(), new int[] {k.desirable() ? 1 : 0}),
        List.of(new byte[k.prompt().length], ones(k.completion().length), new byte[1]));
  }

  private PretrainPacker packer(ShardWriter w) {
    return new PretrainPacker(
        spec.blockSize(),
        tokenizer.eosId(),
        block -> w.add(List.of(block), List.of(ones(block.length))));
  }

  private String text(Sample s) {
    return as(s, Sample.Text.class).text();
  }

  private <T extends Sample> T as(Sample s, Class<T> type) {
    if (!type.isInstance(s)) {
      throw new IllegalArgumentException(
          s.origin()
              + ": a "
              + spec.kind()
              + " stage needs "
              + type.getSimpleName().toLowerCase()
              + " samples, got "
              + s.getClass().getSimpleName().toLowerCase()
              + " (check the dataset's format)");
    }
    return type.cast(s);
  }

  private static byte[] ones(int n) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) 1);
    return b;
  }
}
