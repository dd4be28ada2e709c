package io.liandan.llm.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.llm.data.tokenizer.BpeTrainer;
import io.liandan.llm.model.DecoderConfig;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The demo's world, generated from a seed: animals with a colour and a food, and small sums, said
 * in English and in Chinese. From it come a pretraining corpus (facts one per line, about half of
 * them preceded by the question they answer — the way a web corpus holds FAQ pages — so pretraining
 * already ties each answer to its question's subject, which LoRA alone cannot teach a
 * 0.8M-parameter model), an instruction set (questions and answers, alpaca format) and preference
 * pairs whose chosen answer speaks the question's language while the rejected one answers correctly
 * in the other language — a preference a mini model can learn, and one users want. Plus a mini
 * Qwen2 config and a byte-level BPE tokenizer trained on all of it, so the model trains from
 * scratch on a CPU in minutes.
 */
public final class DemoData {
  /** A question and its answer; {@code zh} when both are Chinese. */
  public record Qa(String question, String answer, String otherLanguageAnswer, boolean zh) {}

  static final String[][] ANIMALS = {
    {"cat", "猫"},
    {"dog", "狗"},
    {"bird", "鸟"},
    {"fish", "鱼"},
    {"horse", "马"},
    {"rabbit", "兔子"},
    {"tiger", "老虎"},
    {"panda", "熊猫"},
    {"duck", "鸭子"},
    {"sheep", "羊"},
    {"mouse", "老鼠"},
    {"monkey", "猴子"}
  };
  static final String[][] COLOURS = {
    {"black", "黑色"},
    {"white", "白色"},
    {"red", "红色"},
    {"yellow", "黄色"},
    {"green", "绿色"},
    {"blue", "蓝色"},
    {"brown", "棕色"},
    {"grey", "灰色"}
  };
  static final String[][] FOODS = {
    {"fish", "鱼"},
    {"meat", "肉"},
    {"rice", "米饭"},
    {"grass", "草"},
    {"apples", "苹果"},
    {"bamboo", "竹子"},
    {"carrots", "胡萝卜"},
    {"bread", "面包"},
    {"seeds", "种子"}
  };

  /** Fixed prompts whose generations the demo logs before and after each stage. */
  public static final List<String> PROMPTS =
      List.of("What colour is the cat?", "熊猫吃什么？", "What is 3 plus 4?", "5加6等于多少？");

  private final long seed;
  private final int[] colour, food;

  public DemoData(long seed) {
    this.seed = seed;
    SplittableRandom rng = new SplittableRandom(seed);
    colour = new int[ANIMALS.length];
    food = new int[ANIMALS.length];
    for (int a = 0; a < ANIMALS.length; a++) {
      colour[a] = rng.nextInt(COLOURS.length);
      food[a] = rng.nextInt(FOODS.length);
    }
  }

  /**
   * Pretraining documents, each in one language: facts and sums one per line, each preceded by its
   * question on the line before with probability ½. One line per sentence also keeps the byte-level
   * BPE from merging a Chinese sentence with the full stop before it, so a sentence tokenizes the
   * same in the corpus as in a chat turn.
   */
  public List<String> corpus(int documents) {
    SplittableRandom rng = new SplittableRandom(seed + 1);
    List<String> docs = new ArrayList<>(documents);
    for (int d = 0; d < documents; d++) {
      boolean zh = rng.nextBoolean();
      StringBuilder sb = new StringBuilder();
      int sentences = 4 + rng.nextInt(6);
      for (int s = 0; s < sentences; s++) {
        if (s > 0) sb.append('\n');
        Qa f = fact(rng, zh);
        if (rng.nextBoolean()) sb.append(f.question()).append('\n');
        sb.append(f.answer());
      }
      docs.add(sb.toString());
    }
    return docs;
  }

  /** Questions and answers in both languages, for SFT. */
  public List<Qa> instructions(int n) {
    SplittableRandom rng = new SplittableRandom(seed + 2);
    List<Qa> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(fact(rng, rng.nextBoolean()));
    return out;
  }

  /** Preference pairs: chosen in the question's language, rejected in the other. */
  public List<Qa> preferences(int n) {
    SplittableRandom rng = new SplittableRandom(seed + 3);
    List<Qa> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(fact(rng, rng.nextBoolean()));
    return out;
  }

  /**
   * Every question the world can ask, each with its true answer: each animal's colour and food and
   * every sum {@code 0…9 + 0…9}, in English and in Chinese (248 with the demo's 12 animals).
   */
  public List<Qa> everyQuestion() {
    List<Qa> out = new ArrayList<>();
    for (boolean zh : new boolean[] {false, true}) {
      for (int a = 0; a < ANIMALS.length; a++) {
        out.add(colourFact(a, zh));
        out.add(foodFact(a, zh));
      }
      for (int x = 0; x < 10; x++) {
        for (int y = 0; y < 10; y++) {
          out.add(sum(x, y, zh));
        }
      }
    }
    return out;
  }

  private Qa fact(SplittableRandom rng, boolean zh) {
    int kind = rng.nextInt(3), a = rng.nextInt(ANIMALS.length);
    return switch (kind) {
      case 0 -> colourFact(a, zh);
      case 1 -> foodFact(a, zh);
      default -> {
        int x = rng.nextInt(10), y = rng.nextInt(10);
        yield sum(x, y, zh);
      }
    };
  }

  private Qa colourFact(int a, boolean zh) {
    String[] an = ANIMALS[a], co = COLOURS[colour[a]];
    return qa(
        zh,
        "What colour is the " + an[0] + "?",
        "The " + an[0] + " is " + co[0] + ".",
        an[1] + "是什么颜色的？",
        an[1] + "是" + co[1] + "的。");
  }

  private Qa foodFact(int a, boolean zh) {
    String[] an = ANIMALS[a], fo = FOODS[food[a]];
    return qa(
        zh,
        "What does the " + an[0] + " eat?",
        "The " + an[0] + " eats " + fo[0] + ".",
        an[1] + "吃什么？",
        an[1] + "吃" + fo[1] + "。");
  }

  private static Qa sum(int x, int y, boolean zh) {
    return qa(
        zh,
        "What is " + x + " plus " + y + "?",
        x + " plus " + y + " is " + (x + y) + ".",
        x + "加" + y + "等于多少？",
        x + "加" + y + "等于" + (x + y) + "。");
  }

  private static Qa qa(boolean zh, String qEn, String aEn, String qZh, String aZh) {
    return zh ? new Qa(qZh, aZh, aEn, true) : new Qa(qEn, aEn, aZh, false);
  }

  /**
   * The mini model: Qwen2's architecture scaled down (mini_qwen's path), vocabulary {@code vocab}.
   */
  public static DecoderConfig miniConfig(int vocab, int imEndId) {
    return new DecoderConfig(
        "qwen2",
        vocab,
        128,
        352,
        4,
        4,
        2,
        512,
        10000,
        1e-6,
        true,
        0.02,
        null,
        List.of(imEndId),
        "float32");
  }

  /**
   * The most ids the tokenizer learns (bytes + merges) before its three special tokens; a small
   * world runs out of pairs worth merging before that.
   */
  public static final int VOCAB = 1024;

  /** The demo's sizes: enough for each stage to show learning on two CPU cores in minutes. */
  public static final int DOCUMENTS = 3000, INSTRUCTIONS = 2000, PAIRS = 1000;

  /** The demo pipeline spec (examples/demo/pipeline.json), with paths relative to its folder. */
  public static final String SPEC = "pipeline.json";

  /** The seed of the world `liandan demo` generates. */
  public static final long SEED = 0;

  /**
   * The demo at its default size with {@link #SEED}, plus its pipeline spec: what `liandan demo`
   * runs.
   */
  public static void writeDemo(Path dir) {
    writeDemo(dir, DEFAULT_FAMILY);
  }

  /** {@link #writeDemo(Path)} with the mini model in {@code family}'s shape. */
  public static void writeDemo(Path dir, String family) {
    new DemoData(SEED).write(dir, DOCUMENTS, INSTRUCTIONS, PAIRS, family);
    try (var in = DemoData.class.getResourceAsStream(SPEC)) {
      if (in == null) throw new IllegalStateException("the demo spec is missing from the jar");
      write(
          dir.resolve(SPEC),
          List.of(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip()));
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": cannot write the demo spec: " + e.getMessage(), e);
    }
  }

  /**
   * Writes the demo into {@code dir}: {@code model/} (config.json of the mini model, tokenizer,
   * generation config — no weights: it trains from scratch) and {@code data/corpus.jsonl} (text),
   * {@code data/instructions.jsonl} (alpaca), {@code data/preferences.jsonl} (prompt, chosen,
   * rejected). Every file is written whole or not at all.
   */
  public void write(Path dir, int documents, int instructions, int pairs) {
    write(dir, documents, instructions, pairs, DEFAULT_FAMILY);
  }

  /** The demo's family: the mini Qwen2 of {@link #miniConfig}. */
  public static final String DEFAULT_FAMILY = "qwen2";

  /**
   * The mini model in {@code family}'s shape: {@link #miniConfig}'s sizes with the switches of
   * examples/families/FAMILY.json (carried in the jar) laid over them, read back as Liandan reads
   * any config.json, so a switch it does not know is refused here, naming the file.
   */
  public static DecoderConfig miniConfig(int vocab, int imEndId, String family) {
    String file = "families/" + family + ".json";
    try (var in = DemoData.class.getResourceAsStream(file)) {
      if (in == null)
        throw new IllegalArgumentException(
            "no demo model for family '" + family + "'; there is one for each of " + FAMILIES);
      ObjectMapper json = new ObjectMapper();
      ObjectNode config = (ObjectNode) json.readTree(miniConfig(vocab, imEndId).toJson());
      // the tokenizer's <|endoftext|> pads, as Qwen's: Phi-3's embedding takes pad_token_id as its
      // padding index, and its default (32000) is outside a mini vocabulary
      List<String> special = BpeTrainer.SPECIAL;
      config.put(
          "pad_token_id",
          imEndId - special.indexOf("<|im_end|>") + special.indexOf("<|endoftext|>"));
      config.setAll((ObjectNode) json.readTree(in));
      return DecoderConfig.fromJson(config, "examples/" + file);
    } catch (IOException e) {
      throw new UncheckedIOException("examples/" + file + ": " + e.getMessage(), e);
    }
  }

  /** The families `liandan demo --family` can build the mini model as: every one Liandan loads. */
  public static final List<String> FAMILIES = DecoderConfig.FAMILIES;

  /** {@link #write(Path, int, int, int)} with the mini model in {@code family}'s shape. */
  public void write(Path dir, int documents, int instructions, int pairs, String family) {
    List<String> corpus = corpus(documents);
    List<Qa> inst = instructions(instructions), prefs = preferences(pairs);
    List<String> all = new ArrayList<>(corpus);
    inst.forEach(q -> all.add(q.question() + "\n" + q.answer()));
    prefs.forEach(q -> all.add(q.question() + "\n" + q.answer() + "\n" + q.otherLanguageAnswer()));
    Path model = dir.resolve("model"), data = dir.resolve("data");
    int vocab = BpeTrainer.train(all, VOCAB, model);
    int imEnd = vocab - BpeTrainer.SPECIAL.size() + BpeTrainer.SPECIAL.indexOf("<|im_end|>");
    ObjectMapper json = new ObjectMapper();
    try {
      write(model.resolve("config.json"), List.of(miniConfig(vocab, imEnd, family).toJson()));
      write(
          model.resolve("generation_config.json"),
          List.of(json.writeValueAsString(Map.of("eos_token_id", List.of(imEnd)))));
      List<String> rows = new ArrayList<>();
      for (String d : corpus) rows.add(json.writeValueAsString(Map.of("text", d)));
      write(data.resolve("corpus.jsonl"), rows);
      rows.clear();
      for (Qa q : inst)
        rows.add(json.writeValueAsString(row("instruction", q.question(), "output", q.answer())));
      write(data.resolve("instructions.jsonl"), rows);
      rows.clear();
      for (Qa q : prefs) {
        Map<String, String> r = row("prompt", q.question(), "chosen", q.answer());
        r.put("rejected", q.otherLanguageAnswer());
        rows.add(json.writeValueAsString(r));
      }
      write(data.resolve("preferences.jsonl"), rows);
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": cannot write the demo data: " + e.getMessage(), e);
    }
  }

  private static Map<String, String> row(String k1, String v1, String k2, String v2) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(k1, v1);
    m.put(k2, v2);
    return m;
  }

  private static void write(Path file, List<String> lines) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (BufferedWriter w = Files.newBufferedWriter(tmp)) {
      for (String l : lines) {
        w.write(l);
        w.write('\n');
      }
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
