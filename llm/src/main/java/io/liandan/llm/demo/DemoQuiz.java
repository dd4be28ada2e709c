package io.liandan.llm.demo;

import ai.djl.ndarray.NDManager;
import io.liandan.llm.data.Message;
import io.liandan.llm.data.template.ChatTemplate;
import io.liandan.llm.data.tokenizer.TextTokenizer;
import io.liandan.llm.demo.DemoData.Qa;
import io.liandan.llm.generate.Generator;
import io.liandan.llm.generate.SamplingConfig;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Asks a trained demo model every question of its world ({@link DemoData#everyQuestion()}), as a
 * user turn in the model's chat template, greedy, and counts the replies equal to the true answer
 * in the question's language — what "the demo learns" means, measured the same way each time.
 */
public final class DemoQuiz {
  private static final int BATCH = 31; // 248 questions in 8 batches
  private static final int MAX_NEW_TOKENS = 24;

  /** One question as asked, the reply, and whether it is exactly the true answer. */
  public record Answer(Qa question, String reply, boolean exact) {}

  /** Exact replies by kind: the 24 English facts, the 24 Chinese facts, the 200 sums. */
  public record Score(List<Answer> answers) {
    public int exact() {
      return (int) answers.stream().filter(Answer::exact).count();
    }

    public int asked() {
      return answers.size();
    }

    /** "239 of 248 exact (English facts 24/24, Chinese facts 21/24, sums 194/200)". */
    public String summary() {
      return exact()
          + " of "
          + asked()
          + " exact (English facts "
          + count(false, false)
          + ", Chinese facts "
          + count(true, false)
          + ", sums "
          + countSums()
          + ")";
    }

    private String count(boolean zh, boolean sum) {
      List<Answer> of =
          answers.stream()
              .filter(a -> a.question().zh() == zh && isSum(a.question()) == sum)
              .toList();
      return of.stream().filter(Answer::exact).count() + "/" + of.size();
    }

    private String countSums() {
      List<Answer> sums = answers.stream().filter(a -> isSum(a.question())).toList();
      return sums.stream().filter(Answer::exact).count() + "/" + sums.size();
    }

    private static boolean isSum(Qa q) {
      return q.question().contains("plus") || q.question().contains("加");
    }
  }

  private DemoQuiz() {}

  /** Asks the model in {@code modelDir} (weights, tokenizer, chat template) every question. */
  public static Score ask(Path modelDir, DemoData world) {
    List<Qa> questions = world.everyQuestion();
    ChatTemplate template = ChatTemplate.fromModelDirOrChatMl(modelDir);
    try (TextTokenizer tok = TextTokenizer.fromModelDir(modelDir);
        NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(modelDir, m)) {
      Set<Long> stop = new HashSet<>();
      w.config().eosTokenIds().forEach(id -> stop.add(id.longValue()));
      tok.tokenId("<|im_end|>").ifPresent(stop::add);
      tok.eosTokenId().ifPresent(stop::add);
      long pad = stop.iterator().next(); // left padding is masked out
      SamplingConfig greedy = new SamplingConfig(MAX_NEW_TOKENS, false, 1, 0, 1, 0, stop, pad);
      Generator gen = new Generator(new Decoder(w));
      List<Answer> answers = new ArrayList<>(questions.size());
      for (int from = 0; from < questions.size(); from += BATCH) {
        List<Qa> batch = questions.subList(from, Math.min(questions.size(), from + BATCH));
        List<long[]> prompts = new ArrayList<>();
        for (Qa q : batch) {
          prompts.add(
              tok.encode(template.render(List.of(new Message("user", q.question(), null)), true)));
        }
        List<long[]> out = gen.generate(prompts, greedy);
        for (int i = 0; i < batch.size(); i++) {
          long[] all = out.get(i);
          long[] reply = Arrays.copyOfRange(all, prompts.get(i).length, all.length);
          String text = tok.decode(reply, true).strip();
          answers.add(new Answer(batch.get(i), text, text.equals(batch.get(i).answer())));
        }
      }
      return new Score(answers);
    }
  }
}
