package io.liandan.bench;

import static io.liandan.bench.BenchArgs.intArg;

import io.liandan.llm.data.template.ChatTemplate;
import io.liandan.llm.data.tokenize.ChatRenderer;
import io.liandan.llm.data.tokenize.TokenizeManifest;
import io.liandan.llm.data.tokenize.TokenizeStage;
import io.liandan.llm.data.tokenizer.TextTokenizer;
import io.liandan.spec.TokenizeSpec;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * SFT formatting + tokenisation throughput with the real Qwen tokenizer and its chat template: N
 * synthetic conversations (made on the fly) rendered, tokenised with completion masks and written
 * as shards, as the tokenize stage does. Reports tokens/s and peak heap, for two dataset sizes, so
 * that memory can be seen not to grow with the dataset. Run: {@code mvn -q -pl bench exec:java
 * -Dexec.mainClass=io.liandan.bench.TokenizeBench -Dexec.args="100000"}.
 */
public final class TokenizeBench {
  public static void main(String[] args) throws Exception {
    int n = intArg(args, 0, 100_000);
    Path fixture =
        Path.of(args.length > 1 ? args[1] : "llm/src/test/resources/fixtures/qwen-tokenizer");
    Path model = Files.createTempDirectory("liandan-tokenize-bench");
    try (InputStream in =
        new GZIPInputStream(Files.newInputStream(fixture.resolve("tokenizer.json.gz")))) {
      Files.copy(in, model.resolve("tokenizer.json"));
    }
    Files.copy(fixture.resolve("tokenizer_config.json"), model.resolve("tokenizer_config.json"));
    ChatTemplate t = ChatTemplate.fromModelDir(model);
    ChatRenderer template = (m, tools, gen) -> t.render(m, tools, gen, null);
    System.out.printf(
        "machine: %d cores, java %s%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    try (TextTokenizer tok = TextTokenizer.fromModelDir(model)) {
      run(template, tok, 2_000, model); // warm-up
      for (int size : new int[] {n / 10, n}) run(template, tok, size, model);
    } finally {
      try (Stream<Path> s = Files.walk(model)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  static void run(ChatRenderer template, TextTokenizer tok, int n, Path scratch) throws Exception {
    Path out = Files.createTempDirectory(scratch, "out");
    resetPeaks();
    long t0 = System.nanoTime();
    TokenizeManifest m =
        new TokenizeStage(TokenizeSpec.sft(4096, false, 0.01, 1), template, tok.encoder(), null)
            .run(new SyntheticChats(n, 7), out);
    double s = (System.nanoTime() - t0) / 1e9;
    long tokens = m.splits().get("train").tokens() + m.splits().get("eval").tokens();
    System.out.printf(
        "%,d conversations: %,d tokens in %.1f s = %,.0f tokens/s (%,.0f conversations/s), heap after the last GC %.0f MB, max heap %.0f MB%n",
        n, tokens, s, tokens / s, n / s, peakHeapMb(), Runtime.getRuntime().maxMemory() / 1e6);
  }

  static void resetPeaks() {
    System.gc();
  }

  /** Peak heap still in use after a collection: live data, not garbage awaiting the collector. */
  static double peakHeapMb() {
    long sum = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP && p.getCollectionUsage() != null) {
        sum += p.getCollectionUsage().getUsed();
      }
    }
    return sum / 1e6;
  }
}
