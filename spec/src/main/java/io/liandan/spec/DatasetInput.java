package io.liandan.spec;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * One dataset of a pipeline: where it is ({@code hf-dataset:org/name[@rev]} or a local file or
 * folder), which files of it (glob patterns, huggingface_hub's semantics; empty = every .jsonl,
 * .json and .parquet file), how its rows map to samples, and which split it feeds.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record DatasetInput(String source, List<String> files, FormatSpec format, String split) {
  public DatasetInput {
    files = files == null ? List.of() : List.copyOf(files);
    split = split == null ? "train" : split;
    if (!split.equals("train") && !split.equals("eval")) {
      throw new IllegalArgumentException("split '" + split + "' is not train or eval");
    }
  }
}
