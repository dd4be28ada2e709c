package io.liandan.contracts;

/**
 * The failure types a stage reports that a retry cannot fix: the activities raise them, the
 * workflow's retry policy never retries them.
 */
public final class FailureTypes {
  /** Bad input (a bad row, file, template, checkpoint or Hub repo), reported by the activities. */
  public static final String BAD_INPUT = "BadInput";

  /** Every type the activities' retry policy never retries. */
  public static final String[] NON_RETRYABLE = {
    BAD_INPUT, IllegalArgumentException.class.getName(), BadSpecException.class.getName()
  };

  private FailureTypes() {}
}
