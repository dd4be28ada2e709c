package io.liandan.llm.data.io;

import java.nio.file.Path;
import java.util.Locale;

/** Dataset file types, told apart by name as Hugging Face's loaders do. */
public enum FileType {
  /** One JSON object per line ({@code .jsonl}, {@code .ndjson}, optionally {@code .gz}). */
  JSONL,
  /** A top-level array of objects, or JSONL content under a {@code .json} name ({@code .gz} ok). */
  JSON,
  /** Apache Parquet ({@code .parquet}), as the Hub stores most datasets. */
  PARQUET;

  /** The type a file's name says; a DatasetException names the file otherwise. */
  public static FileType of(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".gz")) {
      name = name.substring(0, name.length() - 3);
    }
    if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
      return JSONL;
    }
    if (name.endsWith(".json")) {
      return JSON;
    }
    if (name.endsWith(".parquet")) {
      return PARQUET;
    }
    throw DatasetException.file(
        file.toString(),
        "unknown dataset file type; expected .jsonl, .json (optionally .gz) or .parquet",
        null);
  }

  static boolean gzipped(Path file) {
    return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz");
  }
}
