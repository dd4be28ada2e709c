package io.liandan.llm.data.format;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a {@link DatasetReader} did with a file, for the format stage's manifest: rows read, samples
 * produced, and rows dropped per reason ({@code missing_field}, {@code role_order}, …) with the
 * first message of each reason so the user can look at one. Maps are sorted by reason.
 */
public record FormatStats(
    @JsonProperty("rows") long rows,
    @JsonProperty("samples") long samples,
    @JsonProperty("skipped") Map<String, Long> skipped,
    @JsonProperty("first_skipped") Map<String, String> firstSkipped) {

  public FormatStats {
    skipped = Collections.unmodifiableMap(new TreeMap<>(skipped));
    firstSkipped = Collections.unmodifiableMap(new TreeMap<>(firstSkipped));
  }

  /** Rows dropped for any reason. */
  public long skippedTotal() {
    return skipped.values().stream().mapToLong(Long::longValue).sum();
  }
}
