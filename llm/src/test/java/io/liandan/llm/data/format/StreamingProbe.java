package io.liandan.llm.data.format;

import io.liandan.llm.data.Message;
import io.liandan.llm.data.Sample;
import io.liandan.spec.Format;
import io.liandan.spec.FormatSpec;
import java.nio.file.Path;

/**
 * Run in a forked JVM with a small heap by {@link StreamingTest}: reads each file given as sharegpt
 * and prints "file samples chars peakHeapMiB" per file.
 */
public final class StreamingProbe {
  private StreamingProbe() {}

  public static void main(String[] args) throws Exception {
    Runtime runtime = Runtime.getRuntime();
    for (String name : args) {
      long samples = 0;
      long chars = 0;
      long peak = 0;
      try (DatasetReader reader =
          DatasetReader.open(Path.of(name), FormatSpec.of(Format.SHAREGPT))) {
        while (reader.hasNext()) {
          Sample.Chat chat = (Sample.Chat) reader.next();
          samples++;
          for (Message message : chat.messages()) {
            chars += message.content().length();
          }
          if ((samples & 1023) == 0) {
            peak = Math.max(peak, runtime.totalMemory() - runtime.freeMemory());
          }
        }
      }
      System.out.println(name + " " + samples + " " + chars + " " + (peak >> 20));
    }
  }
}
