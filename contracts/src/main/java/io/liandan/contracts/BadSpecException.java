package io.liandan.contracts;

import java.util.List;

/** A pipeline spec with problems: every one of them, each naming its path. */
public final class BadSpecException extends IllegalArgumentException {
  private final List<String> problems;

  public BadSpecException(List<String> problems) {
    super(message(problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }

  public static String message(List<String> problems) {
    return "bad pipeline spec ("
        + problems.size()
        + (problems.size() == 1 ? " problem" : " problems")
        + "):\n  "
        + String.join("\n  ", problems);
  }
}
