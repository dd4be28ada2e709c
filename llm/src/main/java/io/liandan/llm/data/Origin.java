package io.liandan.llm.data;

/** Where a sample came from, for messages that name the file and line (or Parquet row). */
public record Origin(String file, long line) {
  @Override
  public String toString() {
    return file + ":" + line;
  }
}
