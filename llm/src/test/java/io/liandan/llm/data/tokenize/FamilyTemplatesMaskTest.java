package io.liandan.llm.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.liandan.llm.data.Message;
import io.liandan.llm.data.Origin;
import io.liandan.llm.data.Sample;
import io.liandan.llm.data.template.ChatTemplate;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SFT's completion-only mask under each family's own chat template (the templates the oracle tier
 * renders against apply_chat_template, in src/test/resources/chat-templates): exactly the assistant
 * replies and the marker that ends each are trained, nothing of the prompt, headers or system text.
 * One token per character, so the trained text reads back as a string.
 */
class FamilyTemplatesMaskTest {
  static final List<Message> CHAT =
      List.of(
          new Message("user", "What is 3 plus 4?"),
          new Message("assistant", "3 plus 4 is 7."),
          new Message("user", "And 5 plus 6?"),
          new Message("assistant", "11."));

  /** The trained text of each assistant turn, as each template writes it. */
  static final Map<String, List<String>> TRAINED =
      Map.of(
          "llama3", List.of("3 plus 4 is 7.<|eot_id|>", "11.<|eot_id|>"),
          "llama3.2", List.of("3 plus 4 is 7.<|eot_id|>", "11.<|eot_id|>"),
          "phi3", List.of("3 plus 4 is 7.<|end|>", "11.<|end|>"),
          "gemma2", List.of("3 plus 4 is 7.<end_of_turn>", "11.<end_of_turn>"),
          "gemma3", List.of("3 plus 4 is 7.<end_of_turn>", "11.<end_of_turn>"),
          // Mistral's template has no generation prompt: each reply is found by its own text
          "mistral", List.of("3 plus 4 is 7.</s>", "11.</s>"));

  @ParameterizedTest
  @ValueSource(strings = {"llama3", "llama3.2", "phi3", "gemma2", "gemma3", "mistral"})
  void onlyTheRepliesAndTheirEndMarkersAreTrained(String family) throws Exception {
    Path dir = Path.of(getClass().getResource("/chat-templates/" + family).toURI());
    ChatTemplate template = ChatTemplate.fromModelDir(dir);
    ChatRenderer renderer = (m, tools, gen) -> template.render(m, tools, gen, Map.of());
    SftEncoder enc = new SftEncoder(renderer, TokenizeStageTest.CHARS, null, 4096, false);
    SftEncoder.Result r = enc.encode(new Sample.Chat(CHAT, List.of(), new Origin("x.jsonl", 1)));
    List<String> trained = new ArrayList<>();
    StringBuilder run = new StringBuilder();
    for (int t = 0; t < r.ids().length; t++) {
      if (r.mask()[t] == 1) run.appendCodePoint(r.ids()[t]);
      else if (run.length() > 0) {
        trained.add(run.toString());
        run.setLength(0);
      }
    }
    if (run.length() > 0) trained.add(run.toString());
    assertEquals(TRAINED.get(family), trained, family + ": " + template.render(CHAT, false));
  }
}
