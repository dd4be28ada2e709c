package io.liandan.llm.stage;

import java.util.List;
import java.util.Map;

/** Metrics of an eval stage (eval/loss, eval/perplexity, eval/rewards/…) and its generations. */
public record EvalResult(
    String out, Map<String, Double> metrics, List<Map<String, Object>> samples) {
  public static final String FILE = "eval.json";
}
