package io.liandan.llm.data.tokenize;

import static io.liandan.llm.data.Chats.assistant;
import static io.liandan.llm.data.Chats.chat;
import static io.liandan.llm.data.Chats.preference;
import static io.liandan.llm.data.Chats.system;
import static io.liandan.llm.data.Chats.user;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.llm.data.Origin;
import io.liandan.llm.data.QwenFixture;
import io.liandan.llm.data.Sample;
import io.liandan.llm.data.template.ChatTemplate;
import io.liandan.llm.data.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Masks and DPO splits with the real Qwen tokenizer and its own (Qwen3) chat template. */
class QwenTokenizeTest {
  static TextTokenizer tok;
  static ChatRenderer template;

  @BeforeAll
  static void load() {
    tok = TextTokenizer.fromModelDir(QwenFixture.modelDir());
    ChatTemplate t = ChatTemplate.fromModelDir(QwenFixture.modelDir());
    template = (m, tools, gen) -> t.render(m, tools, gen, null);
  }

  @AfterAll
  static void close() {
    tok.close();
  }

  /** The decoded text of the trained tokens, segment by segment. */
  static List<String> trainedPieces(SftEncoder.Result r) {
    List<String> pieces = new ArrayList<>();
    List<Long> cur = new ArrayList<>();
    for (int i = 0; i <= r.ids().length; i++) {
      if (i < r.ids().length && r.mask()[i] == 1) {
        cur.add((long) r.ids()[i]);
      } else if (!cur.isEmpty()) {
        pieces.add(tok.decode(cur.stream().mapToLong(Long::longValue).toArray()));
        cur.clear();
      }
    }
    return pieces;
  }

  @Test
  void onlyAssistantTurnsAndTheirEndTokenAreTrained() {
    Sample.Chat chat =
        chat(
            new Origin("x", 1),
            system("你是一个没有礼貌的人渣,请用人渣的语气回复我"),
            user("你好"),
            assistant("滚。"),
            user("emoji 🤖 and ünïcödé?"),
            assistant("Fine 🤖, here."));
    SftEncoder enc = new SftEncoder(template, tok.encoder(), null, 4096, false);
    SftEncoder.Result r = enc.encode(chat);
    // ids are exactly the tokenizer's ids of the rendered conversation
    String text = template.render(chat.messages(), List.of(), false);
    assertArrayEquals(
        Arrays.stream(tok.encode(text)).mapToInt(Math::toIntExact).toArray(), r.ids());
    // Qwen3 renders the last reply (after the last user turn) with an empty think block: trained
    // too
    assertEquals(
        List.of("滚。<|im_end|>", "<think>\n\n</think>\n\nFine 🤖, here.<|im_end|>"),
        trainedPieces(r));
    SftEncoder last = new SftEncoder(template, tok.encoder(), null, 4096, true);
    assertEquals(
        List.of("<think>\n\n</think>\n\nFine 🤖, here.<|im_end|>"),
        trainedPieces(last.encode(chat)));
    assertEquals("<|im_end|>", SftEncoder.endOfTurn(template));
  }

  @Test
  void dpoSplitsPromptAndCompletionsAsTrl() {
    Sample.Preference p = preference(List.of(user("李白是谁?")), "唐代诗人。", "不知道", new Origin("p", 1));
    DpoEncoder.Result r = new DpoEncoder(template, tok.encoder(), 0, 0, 0).encode(p);
    assertEquals(
        "<|im_start|>user\n李白是谁?<|im_end|>\n<|im_start|>assistant\n",
        tok.decode(longs(r.prompt())));
    assertEquals(
        "<think>\n\n</think>\n\n唐代诗人。<|im_end|>\n<|im_end|>", tok.decode(longs(r.chosen())));
    assertTrue(tok.decode(longs(r.rejected())).endsWith("不知道<|im_end|>\n<|im_end|>"));
  }

  static long[] longs(int[] a) {
    return Arrays.stream(a).asLongStream().toArray();
  }
}
