package io.liandan.app;

import io.liandan.llm.model.DecoderWeights;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The model commands' loading progress on stderr, for checkpoints large enough to make a user wait
 * (1 GiB and up): a line at each further tenth, with bytes and seconds, so that a 7B load shows it
 * is moving. Smaller checkpoints load in about a second and print nothing.
 */
final class LoadReport implements DecoderWeights.LoadProgress {
  static final long FROM_BYTES = 1L << 30;

  private final String what;
  private final PrintWriter err;
  private final LongSupplier nanos;
  private final long start;
  private int tenths; // tenths reported so far

  LoadReport(String what, PrintWriter err, LongSupplier nanos) {
    this.what = what;
    this.err = err;
    this.nanos = nanos;
    this.start = nanos.getAsLong();
  }

  /** For the model folder {@code dir}, on the process's stderr. */
  static LoadReport stderr(java.nio.file.Path dir) {
    return new LoadReport(dir.toString(), new PrintWriter(System.err, true), System::nanoTime);
  }

  @Override
  public void loaded(long bytes, long totalBytes) {
    if (totalBytes < FROM_BYTES) return;
    int now = (int) (bytes * 10 / totalBytes);
    if (now <= tenths) return;
    tenths = now;
    err.println(
        String.format(
            Locale.ROOT,
            "loading %s: %d %% (%.1f of %.1f GB, %.1f s)",
            what,
            now * 10,
            bytes / 1e9,
            totalBytes / 1e9,
            (nanos.getAsLong() - start) / 1e9));
    err.flush();
  }
}
