package io.liandan.tracker.run;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What a run reports; {@code crashed} is also what a {@code running} run shows once its heartbeat
 * is older than the server's timeout (derived on read, so a late heartbeat revives it).
 */
public enum RunState {
  RUNNING,
  FINISHED,
  FAILED,
  CRASHED;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean terminal() {
    return this != RUNNING;
  }

  /** The state named {@code s}, or null. */
  public static RunState parse(String s) {
    for (RunState state : values()) {
      if (state.wire().equals(s)) {
        return state;
      }
    }
    return null;
  }

  public static String names() {
    return Arrays.stream(values()).map(RunState::wire).collect(Collectors.joining(", "));
  }
}
