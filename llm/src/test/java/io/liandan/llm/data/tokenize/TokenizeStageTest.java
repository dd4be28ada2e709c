package io.liandan.llm.data.tokenize;

import static io.liandan.llm.data.Chats.assistant;
import static io.liandan.llm.data.Chats.chat;
import static io.liandan.llm.data.Chats.preference;
import static io.liandan.llm.data.Chats.system;
import static io.liandan.llm.data.Chats.user;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.llm.data.Message;
import io.liandan.llm.data.Origin;
import io.liandan.llm.data.Sample;
import io.liandan.spec.TokenizeSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packing, masking, DPO truncation and the split on hand-checked examples. A character tokenizer
 * (one id per char, id = the char) and a ChatML renderer make every expected array readable.
 */
class TokenizeStageTest {
  static final int EOS = '$';

  /** One token per char; id = char code. */
  static final TextEncoder CHARS =
      new TextEncoder() {
        public int[] encode(String text) {
          return text.chars().toArray();
        }

        public Encoded encodeWithSpans(String text) {
          return new Encoded(
              encode(text),
              IntStream.range(0, text.length()).toArray(),
              IntStream.range(1, text.length() + 1).toArray());
        }

        public int eosId() {
          return EOS;
        }
      };

  /**
   * ChatML with short markers: [role\ncontent]\n per message, "[assistant\n" as generation prompt.
   */
  static final ChatRenderer CHATML =
      (messages, tools, gen) -> {
        StringBuilder b = new StringBuilder();
        for (Message m : messages)
          b.append('[').append(m.role()).append('\n').append(m.content()).append("]\n");
        if (gen) b.append("[assistant\n");
        return b.toString();
      };

  static final Origin O = new Origin("data.jsonl", 1);

  static String str(int[] ids) {
    return new String(ids, 0, ids.length);
  }

  /** The trained chars of an SFT result, with '_' for masked ones. */
  static String trained(SftEncoder.Result r) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < r.ids().length; i++) b.append(r.mask()[i] == 1 ? (char) r.ids()[i] : '_');
    return b.toString();
  }

  @Test
  void packingAppendsEosCutsBlocksAndCountsTheRemainder() {
    List<int[]> blocks = new ArrayList<>();
    PretrainPacker p = new PretrainPacker(3, EOS, blocks::add);
    p.add(CHARS.encode("ab"));
    p.add(CHARS.encode("cde"));
    assertEquals(List.of("ab$", "cde"), blocks.stream().map(TokenizeStageTest::str).toList());
    assertEquals(1, p.remainder()); // the last "$" did not fill a block
    assertEquals(2, p.documents());
  }

  @Test
  void sftTrainsAssistantTurnsAndTheirEndMarkerOnly() {
    Sample.Chat chat =
        chat(O, system("S"), user("hi"), assistant("yo"), user("q"), assistant("ans"));
    SftEncoder all = new SftEncoder(CHATML, CHARS, "]", 1000, false);
    SftEncoder.Result r = all.encode(chat);
    assertEquals(
        "[system\nS]\n[user\nhi]\n[assistant\nyo]\n[user\nq]\n[assistant\nans]\n", str(r.ids()));
    assertEquals("_".repeat(32) + "yo]" + "_".repeat(21) + "ans]_", trained(r));
    SftEncoder last = new SftEncoder(CHATML, CHARS, "]", 1000, true);
    assertEquals("_".repeat(56) + "ans]_", trained(last.encode(chat)));
  }

  @Test
  void sftTruncationNeverKeepsASampleWithoutTrainableTokens() {
    Sample.Chat chat = chat(O, user("a long question"), assistant("ok"));
    SftEncoder.Result cut = new SftEncoder(CHATML, CHARS, "]", 35, false).encode(chat);
    assertTrue(cut.truncated());
    assertEquals("[user\na long question]\n[assistant\no", str(cut.ids()));
    assertEquals(1, trained(cut).replace("_", "").length());
    SftEncoder.Result gone = new SftEncoder(CHATML, CHARS, "]", 20, false).encode(chat);
    assertEquals("no trainable token within max_length", gone.dropped());
  }

  @Test
  void dpoFollowsTrlTruncation() {
    Sample.Preference p = preference(List.of(user("question")), "good", "bad!!!", O);
    DpoEncoder.Result r = new DpoEncoder(CHATML, CHARS, 0, 0, 0).encode(p);
    assertEquals("[user\nquestion]\n[assistant\n", str(r.prompt()));
    assertEquals("good]\n$", str(r.chosen())); // TRL appends EOS to each completion
    assertEquals("bad!!!]\n$", str(r.rejected()));
    // max_prompt_length keeps the prompt's end; max_length then trims the prompt, not the replies
    DpoEncoder.Result t = new DpoEncoder(CHATML, CHARS, 14, 12, 0).encode(p);
    assertEquals("[assistant\n".substring(11 - 5), str(t.prompt()));
    assertEquals("bad!!!]\n$", str(t.rejected()));
    assertTrue(t.truncated());
  }

  /** Row {@code r} of a micro-batch as text, padding (mask 0) left out. */
  static String row(io.liandan.llm.train.MicroBatch mb, int r) {
    StringBuilder b = new StringBuilder();
    for (int t = 0; t < mb.seq(); t++)
      if (mb.mask() == null || mb.mask()[r * mb.seq() + t] == 1)
        b.append((char) mb.ids()[r * mb.seq() + t]);
    return b.toString();
  }

  /**
   * KTO data: kto samples as they are, preference pairs unpaired (chosen desirable, rejected not,
   * the rejected halves after the chunk's other examples as TRL's batched unpairing puts them);
   * prompt untrained, completion + EOS trained, the label a third segment the batches read back.
   */
  @Test
  void ktoUnpairsPreferencePairsAndKeepsEachLabel(@TempDir Path out) {
    List<Sample> samples = new ArrayList<>();
    for (String q : List.of("a", "b"))
      samples.add(
          new Sample.Preference(
              List.of(new Message("user", q)),
              new Message("assistant", "good " + q),
              new Message("assistant", "bad " + q),
              O));
    samples.add(
        new Sample.Kto(List.of(new Message("user", "c")), new Message("assistant", "ok"), true, O));
    samples.add(
        new Sample.Kto(
            List.of(new Message("user", "d")), new Message("assistant", "no"), false, O));
    TokenizeManifest m =
        new TokenizeStage(TokenizeSpec.kto(64, 32, 0, 1), CHATML, CHARS, "]")
            .run(samples.iterator(), out);
    assertEquals("kto", m.kind());
    assertEquals(4, m.samplesRead());
    TokenShards train = m.open(out, "train");
    assertEquals(6 * 3, train.segments(), "six examples, three segments each");
    var batch = io.liandan.llm.train.ShardBatches.inOrder(train, 8, 0, true).nextKto();
    assertArrayEquals(new float[] {1, 1, 1, 0, 0, 0}, batch.desirable());
    List<String> rows = new ArrayList<>();
    for (int r = 0; r < 6; r++) rows.add(row(batch.examples(), r));
    assertEquals(
        List.of(
            "[user\na]\n[assistant\ngood a]\n$",
            "[user\nb]\n[assistant\ngood b]\n$",
            "[user\nc]\n[assistant\nok]\n$",
            "[user\nd]\n[assistant\nno]\n$",
            "[user\na]\n[assistant\nbad a]\n$",
            "[user\nb]\n[assistant\nbad b]\n$"),
        rows);
    // only the completion and its EOS are trained
    assertEquals("good a]\n$".length(), countTrained(batch.examples(), 0));
    // TRL's KL rows: each prompt with the previous row's completion
    assertEquals("[user\na]\n[assistant\nbad b]\n$", row(batch.mismatched(), 0));
    assertEquals("[user\nc]\n[assistant\ngood b]\n$", row(batch.mismatched(), 2));
  }

  /** Trained label positions of row r after the first (the causal LM shift's). */
  static long countTrained(io.liandan.llm.train.MicroBatch mb, int r) {
    long n = 0;
    for (int t = 1; t < mb.seq(); t++) if (mb.labels()[r * mb.seq() + t] >= 0) n++;
    return n;
  }

  @Test
  void splitIsSeededAndNearTheRatio() {
    TokenizeSpec a = TokenizeSpec.sft(100, false, 0.1, 7), b = TokenizeSpec.sft(100, false, 0.1, 8);
    long evalA = IntStream.range(0, 20_000).filter(a::isEval).count();
    assertTrue(Math.abs(evalA - 2000) < 200, "eval count " + evalA);
    assertEquals(a.isEval(12345), TokenizeSpec.sft(100, false, 0.1, 7).isEval(12345));
    assertTrue(
        IntStream.range(0, 100).anyMatch(i -> a.isEval(i) != b.isEval(i)),
        "another seed, another split");
  }

  @Test
  void stageWritesReadableShardsAndAManifest(@TempDir Path out) {
    List<Sample> chats = new ArrayList<>();
    for (int i = 0; i < 1200; i++) {
      String src = i % 3 == 0 ? "b.jsonl" : "a.jsonl";
      chats.add(
          new Sample.Chat(
              List.of(
                  new Message("user", "q" + i),
                  new Message("assistant", i % 100 == 0 ? "" : "a" + i)),
              List.of(),
              new Origin(src, i)));
    }
    TokenizeSpec spec = TokenizeSpec.sft(64, false, 0.25, 1);
    TokenizeManifest m = new TokenizeStage(spec, CHATML, CHARS, "]").run(chats.iterator(), out);
    assertEquals(1200, m.samplesRead());
    assertEquals(400, m.perSource().get("b.jsonl"));
    long written = m.splits().get("train").samples() + m.splits().get("eval").samples();
    assertEquals(1200, written); // empty replies still train the end marker
    TokenizeManifest back = TokenizeManifest.read(out);
    assertEquals(m, back);
    TokenShards train = back.open(out, "train");
    assertEquals(m.splits().get("train").samples(), train.segments());
    TokenShards.Segment first = train.segment(0);
    String text = new String(first.ids(), 0, first.ids().length);
    assertTrue(text.startsWith("[user\nq") && text.endsWith("]\n"), text);
  }

  @Test
  void wrongSampleKindNamesTheSource(@TempDir Path out) {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new TokenizeStage(TokenizeSpec.pt(8, 0, 1), CHATML, CHARS, "]")
                    .run(
                        List.<Sample>of(
                                new Sample.Chat(List.of(new Message("user", "x")), List.of(), O))
                            .iterator(),
                        out));
    assertTrue(
        e.getMessage().contains("data.jsonl:1") && e.getMessage().contains("pt stage needs text"),
        e.getMessage());
  }

  @Test
  void ptStagePacksEachSplitSeparately(@TempDir Path out) {
    List<Sample> docs = new ArrayList<>();
    for (int i = 0; i < 100; i++) docs.add(new Sample.Text("doc" + i, new Origin("t.txt", i)));
    TokenizeManifest m =
        new TokenizeStage(TokenizeSpec.pt(16, 0.2, 3), CHATML, CHARS, "]")
            .run(docs.iterator(), out);
    long tokens = IntStream.range(0, 100).map(i -> ("doc" + i).length() + 1).sum();
    assertEquals(
        tokens,
        m.splits().get("train").tokens()
            + m.splits().get("eval").tokens()
            + m.packedRemainderTokens());
    TokenShards.Segment b = m.open(out, "train").segment(0);
    assertEquals(16, b.ids().length);
    byte[] allTrained = new byte[16];
    java.util.Arrays.fill(allTrained, (byte) 1);
    assertArrayEquals(allTrained, b.mask()); // pretraining takes the loss on every token
  }

  @Test
  void theDatasetsOwnEvalSplitOverridesTheRatio(@TempDir Path out) {
    List<Sample> train = new ArrayList<>(), eval = new ArrayList<>();
    for (int i = 0; i < 50; i++)
      train.add(new Sample.Text("train" + i, new Origin("train.jsonl", i)));
    for (int i = 0; i < 5; i++) eval.add(new Sample.Text("eval" + i, new Origin("test.jsonl", i)));
    TokenizeManifest m =
        new TokenizeStage(TokenizeSpec.pt(4, 0.5, 3), CHATML, CHARS, "]")
            .run(train.iterator(), eval.iterator(), out);
    long evalTokens = IntStream.range(0, 5).map(i -> ("eval" + i).length() + 1).sum();
    assertEquals(evalTokens / 4 * 4, m.splits().get("eval").tokens());
    assertEquals(55, m.samplesRead());
  }
}
