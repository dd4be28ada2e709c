package io.liandan.llm.stage;

import io.liandan.llm.data.Message;
import io.liandan.llm.data.template.ChatTemplate;
import io.liandan.llm.data.tokenizer.TextTokenizer;
import io.liandan.llm.generate.Generator;
import io.liandan.llm.generate.SamplingConfig;
import io.liandan.llm.model.Decoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Generations for the spec's fixed prompts, greedy and sampled (seeded), as rows of the
 * "generations" table: prompt, stage, decoding, output. A chat stage's prompt is a user turn
 * rendered with the model's chat template and a generation prompt; a pretraining stage's is raw
 * text to continue.
 */
final class SampleGenerations {
  static final String TABLE = "generations";

  private final Path modelDir;
  private final boolean chat;
  private final int maxNewTokens;
  private final long seed;

  SampleGenerations(Path modelDir, boolean chat, int maxNewTokens, long seed) {
    this.modelDir = modelDir;
    this.chat = chat;
    this.maxNewTokens = maxNewTokens;
    this.seed = seed;
  }

  List<Map<String, Object>> generate(Decoder model, List<String> prompts, String label) {
    if (prompts.isEmpty() || maxNewTokens == 0) return List.of();
    try (TextTokenizer tok = TextTokenizer.fromModelDir(modelDir)) {
      ChatTemplate template = chat ? ChatTemplate.fromModelDirOrChatMl(modelDir) : null;
      List<long[]> ids = new ArrayList<>();
      for (String p : prompts) {
        String text = chat ? template.render(List.of(new Message("user", p, null)), true) : p;
        ids.add(tok.encode(text));
      }
      Set<Long> eos = new LinkedHashSet<>();
      tok.eosTokenId().ifPresent(eos::add);
      tok.tokenId("<|im_end|>").ifPresent(eos::add);
      model.config().eosTokenIds().forEach(i -> eos.add((long) i));
      List<Map<String, Object>> rows = new ArrayList<>();
      SamplingConfig greedy = new SamplingConfig(maxNewTokens, false, 1, 0, 1, seed, eos, 0);
      SamplingConfig sampled = new SamplingConfig(maxNewTokens, true, 0.7, 0, 0.9, seed, eos, 0);
      for (SamplingConfig cfg : List.of(greedy, sampled)) {
        List<long[]> out = new Generator(model).generate(ids, cfg);
        for (int i = 0; i < prompts.size(); i++) {
          long[] fresh = Arrays.copyOfRange(out.get(i), ids.get(i).length, out.get(i).length);
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("prompt", prompts.get(i));
          row.put("stage", label);
          row.put("decoding", cfg.doSample() ? "sampled" : "greedy");
          row.put("output", tok.decode(fresh, true));
          rows.add(row);
        }
      }
      return rows;
    }
  }
}
