package io.liandan.activities.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.liandan.activities.hub.GlobPatterns;
import io.liandan.activities.hub.HubDownloader;
import io.liandan.activities.hub.SourceSpec;
import io.liandan.llm.data.SampleFile;
import io.liandan.llm.data.format.DatasetReader;
import io.liandan.llm.data.format.FormatStats;
import io.liandan.spec.DatasetInput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The format stage: fetches each dataset (Hub or local), reads its files in the declared format and
 * writes the normalised samples — {@code train.jsonl} and, when a dataset feeds the eval split,
 * {@code eval.jsonl} — plus {@code format_stats.json} with rows, samples and skips per file.
 */
public final class FormatService {
  /** What the stage produced. */
  public record Result(
      Path train,
      Path eval,
      long trainSamples,
      long evalSamples,
      Map<String, FormatStats> perFile) {}

  /** The files a dataset source contributes when it names none. */
  public static final List<String> DATA_FILES =
      List.of("*.jsonl", "*.json", "*.parquet", "*.jsonl.gz", "*.json.gz");

  private final HubDownloader hub;

  public FormatService(HubDownloader hub) {
    this.hub = hub;
  }

  public Result format(List<DatasetInput> inputs, Path out) {
    if (inputs.isEmpty())
      throw new IllegalArgumentException("datasets: at least one dataset is needed");
    Map<String, FormatStats> perFile = new LinkedHashMap<>();
    Path train = out.resolve("train.jsonl"), eval = out.resolve("eval.jsonl");
    boolean anyEval = inputs.stream().anyMatch(i -> i.split().equals("eval"));
    try (SampleFile.Writer tw = new SampleFile.Writer(train);
        SampleFile.Writer ew = anyEval ? new SampleFile.Writer(eval) : null) {
      for (DatasetInput in : inputs) {
        SampleFile.Writer w = in.split().equals("eval") ? ew : tw;
        for (Path file : files(in)) {
          try (DatasetReader r = DatasetReader.open(file, in.format())) {
            r.forEachRemaining(w::write);
            perFile.put(file.toString(), r.stats());
          } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
          }
        }
      }
      tw.commit();
      if (ew != null) ew.commit();
      Result res =
          new Result(
              train, anyEval ? eval : null, tw.count(), ew == null ? 0 : ew.count(), perFile);
      writeStats(out, res);
      return res;
    }
  }

  /** The dataset's data files, in a stable order. */
  List<Path> files(DatasetInput in) {
    SourceSpec src = SourceSpec.parse(in.source());
    List<String> patterns = in.files().isEmpty() ? DATA_FILES : in.files();
    Path root = hub.download(src, GlobPatterns.allow(patterns.toArray(String[]::new)));
    if (Files.isRegularFile(root)) return List.of(root);
    GlobPatterns match = GlobPatterns.allow(patterns.toArray(String[]::new));
    try (Stream<Path> walk = Files.walk(root)) {
      List<Path> files =
          new ArrayList<>(
              walk.filter(p -> !Files.isDirectory(p))
                  .filter(p -> match.matches(root.relativize(p).toString()))
                  .sorted()
                  .toList());
      if (files.isEmpty()) {
        throw new IllegalArgumentException(in.source() + ": no data file matches " + patterns);
      }
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException(root + ": " + e.getMessage(), e);
    }
  }

  private static void writeStats(Path out, Result res) {
    try {
      Path tmp = out.resolve("format_stats.json.tmp");
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(
              tmp.toFile(),
              Map.of(
                  "train_samples",
                  res.trainSamples(),
                  "eval_samples",
                  res.evalSamples(),
                  "files",
                  res.perFile()));
      Files.move(
          tmp, out.resolve("format_stats.json"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(
          out + ": cannot write format_stats.json: " + e.getMessage(), e);
    }
  }
}
