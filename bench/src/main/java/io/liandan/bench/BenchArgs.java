package io.liandan.bench;

/** The benches' positional command-line arguments. */
final class BenchArgs {
  private BenchArgs() {}

  /** Argument {@code i} as a whole number; {@code fallback} where it is not given. */
  static int intArg(String[] args, int i, int fallback) {
    return args.length > i ? Integer.parseInt(args[i]) : fallback;
  }
}
