package io.liandan.llm.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.llm.data.Message;
import io.liandan.llm.data.template.ChatTemplate;
import io.liandan.llm.data.tokenizer.TextTokenizer;
import io.liandan.llm.model.DecoderConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's data and tokenizer: deterministic, bilingual, loadable by the real tokenizer. */
class DemoDataTest {
  @TempDir Path tmp;

  @Test
  void everyQuestionOfTheWorldIsAskedOnceWithTheAnswersTheDataTeaches() {
    DemoData world = new DemoData(0);
    List<DemoData.Qa> all = world.everyQuestion();
    assertEquals(248, all.size());
    assertEquals(248, all.stream().map(DemoData.Qa::question).distinct().count());
    assertTrue(
        all.contains(new DemoData.Qa("What is 3 plus 4?", "3 plus 4 is 7.", "3加4等于7。", false)));
    assertTrue(all.contains(new DemoData.Qa("9加9等于多少？", "9加9等于18。", "9 plus 9 is 18.", true)));
    // the facts asked are the ones the instruction set teaches, answer for answer
    java.util.Map<String, String> taught = new java.util.HashMap<>();
    for (DemoData.Qa q : world.instructions(2000)) taught.put(q.question(), q.answer());
    for (DemoData.Qa q : all) {
      if (taught.containsKey(q.question())) assertEquals(taught.get(q.question()), q.answer());
    }
    assertTrue(taught.size() > 200, "the instructions cover most questions: " + taught.size());
  }

  @Test
  void theSameSeedWritesTheSameFiles() throws Exception {
    new DemoData(3).write(tmp.resolve("a"), 50, 40, 30);
    new DemoData(3).write(tmp.resolve("b"), 50, 40, 30);
    for (String f :
        List.of(
            "model/tokenizer.json",
            "model/config.json",
            "data/corpus.jsonl",
            "data/instructions.jsonl",
            "data/preferences.jsonl"))
      assertArrayEquals(
          Files.readAllBytes(tmp.resolve("a").resolve(f)),
          Files.readAllBytes(tmp.resolve("b").resolve(f)),
          f);
    assertNotEquals(new DemoData(3).corpus(5), new DemoData(4).corpus(5));
  }

  @Test
  void preferencesDifferOnlyInTheAnswersLanguage() {
    for (DemoData.Qa q : new DemoData(1).preferences(50)) {
      boolean questionZh = q.question().codePoints().anyMatch(c -> c >= 0x4e00);
      assertEquals(questionZh, q.zh());
      assertEquals(questionZh, q.answer().codePoints().anyMatch(c -> c >= 0x4e00));
      assertEquals(!questionZh, q.otherLanguageAnswer().codePoints().anyMatch(c -> c >= 0x4e00));
    }
  }

  @Test
  void theTrainedTokenizerRoundTripsBothLanguagesAndKnowsChatMl() throws Exception {
    new DemoData(1).write(tmp, 200, 100, 50);
    Path model = tmp.resolve("model");
    DecoderConfig c = DecoderConfig.load(model);
    try (TextTokenizer tok = TextTokenizer.fromModelDir(model)) {
      for (String s : List.of("The panda eats bamboo.", "熊猫吃竹子。", "7加8等于15。 Hello, world!")) {
        long[] ids = tok.encode(s);
        assertEquals(s, tok.decode(ids, true));
        for (long id : ids) assertTrue(id < c.vocabSize(), "id " + id + " inside the vocabulary");
      }
      String fact = new DemoData(1).instructions(1).get(0).answer();
      assertTrue(
          tok.encode(fact).length <= fact.length() / 2,
          "merges learned: " + fact + " is " + tok.encode(fact).length + " tokens");
      String chat =
          ChatTemplate.fromModelDir(model)
              .render(List.of(new Message("user", "猫吃什么？", null)), true);
      long[] ids = tok.encode(chat);
      assertEquals(tok.tokenId("<|im_start|>").getAsLong(), ids[0], "<|im_start|> is one token");
      assertEquals(c.vocabSize() - 2, ids[0], "special ids follow the learned vocabulary");
      assertEquals(
          List.of(c.vocabSize() - 1),
          c.eosTokenIds(),
          "the model stops at <|im_end|>, ChatML's end of turn");
    }
  }

  @Test
  void theDemoSpecShipsWithTheDataAndItsArgumentsAreValid() throws Exception {
    DemoData.writeDemo(tmp);
    var spec =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(tmp.resolve(DemoData.SPEC).toFile());
    assertEquals("model", spec.get("model").asText());
    List<String> problems = new java.util.ArrayList<>();
    int training = 0;
    for (var st : spec.get("stages")) {
      if (!st.has("args")) continue;
      training++;
      io.liandan.spec.TrainingArgs a =
          io.liandan.spec.TrainingArgs.parse(st.get("args"), st.get("stage").asText(), problems);
      a.tokenizeSpec(st.get("stage").asText(), st.path("eval_ratio").asDouble());
      for (var d : st.get("datasets"))
        assertTrue(
            Files.exists(tmp.resolve(spec.get("datasets").get(d.asText()).get("source").asText())));
    }
    assertEquals(List.of(), problems);
    assertEquals(3, training, "pt, sft and dpo");
  }
}
