package io.liandan.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's claim that the demo learns, checked on what its first command runs: {@code liandan
 * demo} from the jar at full size, then the numbers it prints — every question of the demo world
 * asked of the merged model (exact answers in the question's language) and each training stage's
 * final held-out numbers — against the bounds the README's "What the demo shows" states.
 */
class DemoLearnsIT {
  /** The README's bounds (its table gives the values measured; these hold across seeds 0 and 7). */
  static final int MIN_EXACT = 230;

  static final double MAX_PT_EVAL_LOSS = 1.0;
  static final double MAX_SFT_EVAL_LOSS = 0.2;
  static final double MIN_DPO_ACCURACY = 0.95;
  static final double MAX_DPO_EVAL_LOSS = 0.2; // README: 0.693 -> 0.045
  static final double MIN_DPO_MARGIN = 2.0; // README: 0 -> 3.73

  @TempDir Path dir;

  @Test
  void theFullDemoAnswersTheQuestionsOfItsWorld() throws Exception {
    List<String> cmd =
        ShippedJar.command(
            "2g",
            "demo",
            "--no-tracker",
            "--home",
            dir.resolve("home").toString(),
            "--out",
            dir.resolve("demo").toString());
    Path log = dir.resolve("demo.log");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(20, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("the demo did not finish in 20 min:\n" + Files.readString(log));
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out);

    Matcher quiz =
        Pattern.compile("asked every question of the demo world: (\\d+) of (\\d+) exact")
            .matcher(out);
    assertTrue(quiz.find(), out);
    assertEquals(248, Integer.parseInt(quiz.group(2)), out);
    int exact = Integer.parseInt(quiz.group(1));
    assertTrue(exact >= MIN_EXACT, exact + " of 248 exact, the README says at least " + MIN_EXACT);

    assertTrue(metric(out, "pt", "eval/loss") <= MAX_PT_EVAL_LOSS, out);
    assertTrue(metric(out, "sft", "eval/loss") <= MAX_SFT_EVAL_LOSS, out);
    assertTrue(metric(out, "dpo", "eval/rewards/accuracies") >= MIN_DPO_ACCURACY, out);
    assertTrue(metric(out, "dpo", "eval/loss") <= MAX_DPO_EVAL_LOSS, out);
    assertTrue(metric(out, "dpo", "eval/rewards/margins") >= MIN_DPO_MARGIN, out);
    System.out.println(
        out.lines().filter(l -> l.startsWith("  ") || l.startsWith("asked")).toList());
  }

  /** A stage's number from the demo's artifact lines: " sft /path eval/loss 0.1000". */
  static double metric(String out, String stage, String key) {
    Matcher m =
        Pattern.compile(
                "^  " + Pattern.quote(stage) + " +\\S+.*?  " + Pattern.quote(key) + " ([-0-9.]+)",
                Pattern.MULTILINE)
            .matcher(out);
    if (!m.find()) throw new AssertionError("no " + key + " for stage " + stage + " in:\n" + out);
    return Double.parseDouble(m.group(1));
  }
}
