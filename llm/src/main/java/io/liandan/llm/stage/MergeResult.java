package io.liandan.llm.stage;

import java.util.List;

/** Where the merged checkpoint and the copied adapters are. */
public record MergeResult(String merged, List<String> adapters) {
  public static final String FILE = "merge.json";
}
