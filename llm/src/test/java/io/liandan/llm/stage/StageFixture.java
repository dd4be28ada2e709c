package io.liandan.llm.stage;

import io.liandan.llm.data.Message;
import io.liandan.llm.data.Origin;
import io.liandan.llm.data.Sample;
import io.liandan.llm.data.io.Json;
import io.liandan.llm.data.template.ChatTemplate;
import io.liandan.llm.data.tokenize.ChatRenderer;
import io.liandan.llm.data.tokenize.TokenizeStage;
import io.liandan.llm.data.tokenizer.TextTokenizer;
import io.liandan.llm.demo.DemoData;
import io.liandan.spec.ModelSource;
import io.liandan.spec.TokenizeSpec;
import io.liandan.spec.TrainRequest;
import io.liandan.spec.TrainingArgs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo world, small: a mini model folder and tokenized PT / SFT / DPO / KTO data for stage
 * tests.
 */
final class StageFixture {
  final DemoData demo = new DemoData(7);
  final Path root, model;

  StageFixture(Path root) {
    this(root, DemoData.DEFAULT_FAMILY);
  }

  /** The mini model in {@code family}'s shape (examples/families/FAMILY.json). */
  StageFixture(Path root, String family) {
    this.root = root;
    demo.write(root, 120, 160, 120, family);
    this.model = root.resolve("model");
  }

  /** Tokenizes the demo's data for {@code kind} with {@code spec} into root/tok-kind. */
  Path tokenized(String kind, TokenizeSpec spec) {
    Origin o = new Origin("demo", 0);
    List<Sample> samples = new ArrayList<>();
    switch (kind) {
      case "pt" -> demo.corpus(120).forEach(t -> samples.add(new Sample.Text(t, o)));
      case "sft" ->
          demo.instructions(160)
              .forEach(
                  q ->
                      samples.add(
                          new Sample.Chat(
                              List.of(
                                  new Message("user", q.question(), null),
                                  new Message("assistant", q.answer(), null)),
                              List.of(),
                              o)));
      case "kto" -> {
        // unpaired: even questions with their right answer (desirable), odd ones with the
        // other-language answer (undesirable), so no prompt has both
        int[] i = {0};
        demo.preferences(120)
            .forEach(
                q -> {
                  boolean good = i[0]++ % 2 == 0;
                  samples.add(
                      new Sample.Kto(
                          List.of(new Message("user", q.question(), null)),
                          new Message(
                              "assistant", good ? q.answer() : q.otherLanguageAnswer(), null),
                          good,
                          o));
                });
      }
      default ->
          demo.preferences(120)
              .forEach(
                  q ->
                      samples.add(
                          new Sample.Preference(
                              List.of(new Message("user", q.question(), null)),
                              new Message("assistant", q.answer(), null),
                              new Message("assistant", q.otherLanguageAnswer(), null),
                              o)));
    }
    ChatTemplate t = ChatTemplate.fromModelDir(model);
    ChatRenderer r = (messages, tools, gen) -> t.render(messages, tools, gen, null);
    Path out = root.resolve("tok-" + kind);
    try (TextTokenizer tok = TextTokenizer.fromModelDir(model)) {
      new TokenizeStage(spec, r, tok.encoder(), null).run(samples.iterator(), out);
    }
    return out;
  }

  /** A CPU training request on {@code data} with {@link #args} into {@code out}. */
  static TrainRequest request(String stage, ModelSource model, Path data, String args, Path out) {
    return new TrainRequest(
        stage, model, data.toString(), args(args), List.of(), false, out.toString(), "cpu");
  }

  /** Small-run arguments: few steps, frequent logs and checkpoints. */
  static TrainingArgs args(String json) {
    List<String> problems = new ArrayList<>();
    TrainingArgs a;
    try {
      a = TrainingArgs.parse(Json.MAPPER.readTree(json.replace('\'', '"')), "args", problems);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
    if (a == null) throw new IllegalArgumentException(String.join("; ", problems));
    return a;
  }
}
