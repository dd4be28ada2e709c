package io.liandan.activities.data;

import io.liandan.llm.data.SampleFile;
import io.liandan.llm.data.template.ChatTemplate;
import io.liandan.llm.data.tokenize.ChatRenderer;
import io.liandan.llm.data.tokenize.TokenizeManifest;
import io.liandan.llm.data.tokenize.TokenizeStage;
import io.liandan.llm.data.tokenizer.TextTokenizer;
import io.liandan.spec.TokenizeSpec;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The tokenize stage: the format stage's sample files and a model folder (its tokenizer.json and
 * chat template; ChatML when it has none) in, token shards and manifest.json out.
 */
public final class TokenizeService {
  public TokenizeManifest tokenize(Path formatted, Path modelDir, TokenizeSpec spec, Path out) {
    ChatTemplate t = ChatTemplate.fromModelDirOrChatMl(modelDir);
    ChatRenderer template = (messages, tools, gen) -> t.render(messages, tools, gen, null);
    Path evalFile = formatted.resolve("eval.jsonl");
    try (TextTokenizer tok = TextTokenizer.fromModelDir(modelDir);
        SampleFile.CloseableIterator train = SampleFile.read(formatted.resolve("train.jsonl"));
        SampleFile.CloseableIterator eval =
            Files.exists(evalFile) ? SampleFile.read(evalFile) : null) {
      return new TokenizeStage(spec, template, tok.encoder(), null).run(train, eval, out);
    }
  }
}
