package io.liandan.bench;

import io.liandan.llm.data.Message;
import io.liandan.llm.data.Origin;
import io.liandan.llm.data.Sample;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Real-looking SFT conversations for benchmarks, made on the fly so that memory does not grow with
 * the count: Chinese and English, 1–3 turns, a system prompt in half of them, replies of a few
 * sentences (~200–400 tokens per conversation with the Qwen tokenizer).
 */
final class SyntheticChats implements Iterator<Sample> {
  private static final String[] EN = {
    "The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.", "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.", "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.", "Four hours of steady work faced us.",
  };
  private static final String[] ZH = {
    "李白是唐代著名的浪漫主义诗人。", "绿豆糕是一种传统的中式点心。", "今天的天气非常适合出去散步。",
    "请用简洁的语言解释一下梯度下降。", "大模型的训练需要大量的计算资源。", "他在图书馆里读了一下午的书。",
  };
  private final int count;
  private final SplittableRandom rng;
  private int made;

  SyntheticChats(int count, long seed) {
    this.count = count;
    this.rng = new SplittableRandom(seed);
  }

  @Override
  public boolean hasNext() {
    return made < count;
  }

  @Override
  public Sample next() {
    List<Message> m = new ArrayList<>();
    boolean zh = rng.nextBoolean();
    if (rng.nextBoolean())
      m.add(new Message("system", zh ? "你是一个乐于助人的助手。" : "You are a helpful assistant."));
    int turns = 1 + rng.nextInt(3);
    for (int t = 0; t < turns; t++) {
      m.add(new Message("user", sentences(zh, 1 + rng.nextInt(2))));
      m.add(new Message("assistant", sentences(zh, 3 + rng.nextInt(6))));
    }
    return new Sample.Chat(m, List.of(), new Origin("synthetic.jsonl", ++made));
  }

  private String sentences(boolean zh, int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      String[] pool = zh ? ZH : EN;
      if (i > 0 && !zh) b.append(' ');
      b.append(pool[rng.nextInt(pool.length)]);
    }
    return b.toString();
  }
}
