package io.liandan.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The loading progress lines: one per further tenth of a large checkpoint, none for a small one.
 */
class LoadReportTest {
  @Test
  void aLargeCheckpointGetsALinePerTenthAndASmallOneNone() {
    StringWriter out = new StringWriter();
    AtomicLong clock = new AtomicLong();
    LoadReport r = new LoadReport("Qwen2.5-7B", new PrintWriter(out), clock::get);
    long total = 15_000_000_000L;
    for (long done = 0; done < total; done += 700_000_000L) { // 22 tensors of 0.7 GB
      clock.addAndGet(500_000_000L);
      r.loaded(done + 700_000_000L > total ? total : done + 700_000_000L, total);
    }
    String[] lines = out.toString().split("\\R");
    assertEquals(10, lines.length, out.toString());
    assertEquals("loading Qwen2.5-7B: 10 % (2.1 of 15.0 GB, 1.5 s)", lines[0]);
    assertEquals("loading Qwen2.5-7B: 100 % (15.0 of 15.0 GB, 11.0 s)", lines[9]);

    StringWriter quiet = new StringWriter();
    LoadReport small = new LoadReport("tiny", new PrintWriter(quiet), clock::get);
    small.loaded(500_000_000L, 1_000_000_000L);
    small.loaded(1_000_000_000L, 1_000_000_000L);
    assertEquals("", quiet.toString(), "under 1 GiB: nothing");
  }
}
