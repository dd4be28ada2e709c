package io.liandan.llm.data.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.llm.data.template.ChatTemplate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trains a small byte-level BPE tokenizer in Qwen2's layout (its pre-tokenizer regex, byte-level
 * alphabet, ChatML special tokens and template), so that a mini model from a config gets a
 * vocabulary of a few thousand instead of Qwen's 151,936 — what mini_qwen-style from-scratch runs
 * on a CPU need. Deterministic: the most frequent pair wins, ties go to the smaller pair.
 */
public final class BpeTrainer {
  /** Qwen2's pre-tokenizer pattern (tokenizer.json's Split regex). */
  static final String PATTERN =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

  public static final List<String> SPECIAL = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");

  private static final String[] BYTE_CHAR = byteChars();

  private BpeTrainer() {}

  /**
   * Learns merges from {@code texts} until the vocabulary (256 bytes + merges) has {@code
   * vocabSize} entries or no pair occurs twice, and writes tokenizer.json and tokenizer_config.json
   * into {@code dir}. The special tokens follow the vocabulary in {@link #SPECIAL}'s order.
   *
   * @return the number of ids, special tokens included (the model's vocab_size)
   */
  public static int train(Iterable<String> texts, int vocabSize, Path dir) {
    if (vocabSize < 256) throw new IllegalArgumentException("vocab size must be >= 256");
    Map<String, Integer> counts = new HashMap<>();
    Pattern p = Pattern.compile(PATTERN);
    for (String t : texts) {
      Matcher m = p.matcher(t);
      while (m.find()) counts.merge(m.group(), 1, Integer::sum);
    }
    List<List<String>> words = new ArrayList<>();
    List<Integer> freq = new ArrayList<>();
    new TreeMap<>(counts)
        .forEach(
            (w, c) -> {
              List<String> symbols = new ArrayList<>();
              for (byte b : w.getBytes(StandardCharsets.UTF_8)) symbols.add(BYTE_CHAR[b & 0xff]);
              words.add(symbols);
              freq.add(c);
            });
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (String c : BYTE_CHAR) vocab.put(c, vocab.size());
    List<String[]> merges = new ArrayList<>();
    while (vocab.size() < vocabSize) {
      Map<String, Integer> pairs = new HashMap<>();
      for (int i = 0; i < words.size(); i++) {
        List<String> w = words.get(i);
        for (int j = 0; j + 1 < w.size(); j++)
          pairs.merge(w.get(j) + " " + w.get(j + 1), freq.get(i), Integer::sum);
      }
      String best = null;
      int bestCount = 1; // a pair seen once is not worth a token
      for (var e : pairs.entrySet()) {
        int c = e.getValue();
        if (c > bestCount || (c == bestCount && best != null && e.getKey().compareTo(best) < 0)) {
          best = e.getKey();
          bestCount = c;
        }
      }
      if (best == null) break;
      String[] ab = best.split(" ");
      String merged = ab[0] + ab[1];
      merges.add(ab);
      vocab.put(merged, vocab.size());
      for (List<String> w : words) {
        for (int j = 0; j + 1 < w.size(); j++) {
          if (w.get(j).equals(ab[0]) && w.get(j + 1).equals(ab[1])) {
            w.set(j, merged);
            w.remove(j + 1);
          }
        }
      }
    }
    write(dir, vocab, merges);
    return vocab.size() + SPECIAL.size();
  }

  private static void write(Path dir, Map<String, Integer> vocab, List<String[]> merges) {
    ObjectMapper json = new ObjectMapper();
    ObjectNode t = json.createObjectNode();
    t.put("version", "1.0");
    t.putNull("truncation");
    t.putNull("padding");
    ArrayNode added = t.putArray("added_tokens");
    for (int i = 0; i < SPECIAL.size(); i++) {
      added
          .addObject()
          .put("id", vocab.size() + i)
          .put("content", SPECIAL.get(i))
          .put("single_word", false)
          .put("lstrip", false)
          .put("rstrip", false)
          .put("normalized", false)
          .put("special", true);
    }
    t.putObject("normalizer").put("type", "NFC");
    ObjectNode pre = t.putObject("pre_tokenizer").put("type", "Sequence");
    ArrayNode seq = pre.putArray("pretokenizers");
    ObjectNode split = seq.addObject().put("type", "Split");
    split.putObject("pattern").put("Regex", PATTERN);
    split.put("behavior", "Isolated").put("invert", false);
    seq.add(byteLevel(json));
    t.set("post_processor", byteLevel(json));
    t.set("decoder", byteLevel(json));
    ObjectNode model = t.putObject("model");
    model.put("type", "BPE").putNull("dropout").putNull("unk_token");
    model.put("continuing_subword_prefix", "").put("end_of_word_suffix", "");
    model.put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
    ObjectNode v = model.putObject("vocab");
    vocab.forEach(v::put);
    ArrayNode ms = model.putArray("merges");
    for (String[] m : merges) ms.addArray().add(m[0]).add(m[1]);

    ObjectNode c = json.createObjectNode();
    c.put("add_bos_token", false).put("add_prefix_space", false);
    c.putArray("additional_special_tokens").add("<|im_start|>").add("<|im_end|>");
    c.putNull("bos_token");
    c.put("chat_template", ChatTemplate.CHATML);
    c.put("clean_up_tokenization_spaces", false);
    c.put("eos_token", "<|im_end|>").put("pad_token", "<|endoftext|>");
    c.put("model_max_length", 32768).put("split_special_tokens", false);
    c.put("tokenizer_class", "Qwen2Tokenizer").putNull("unk_token");
    try {
      Files.createDirectories(dir);
      atomic(dir.resolve("tokenizer.json"), json.writeValueAsString(t));
      atomic(dir.resolve("tokenizer_config.json"), c.toPrettyString());
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": cannot write the tokenizer: " + e.getMessage(), e);
    }
  }

  private static ObjectNode byteLevel(ObjectMapper json) {
    return json.createObjectNode()
        .put("type", "ByteLevel")
        .put("add_prefix_space", false)
        .put("trim_offsets", false)
        .put("use_regex", false);
  }

  private static void atomic(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** GPT-2's reversible byte → printable character table. */
  private static String[] byteChars() {
    String[] out = new String[256];
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      out[b] = String.valueOf((char) (printable ? b : 256 + n++));
    }
    return out;
  }
}
