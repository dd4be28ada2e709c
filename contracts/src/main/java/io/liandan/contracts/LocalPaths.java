package io.liandan.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.spec.DatasetInput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The local paths a spec names (its model and its datasets' sources; anything not {@code hf:} or
 * {@code hf-dataset:}): which are missing, and the spec with each made absolute. The client that
 * starts a pipeline, the workflow (through the download activity) and the worker agree on this.
 */
public final class LocalPaths {
  private LocalPaths() {}

  /**
   * The local files a model and datasets name that do not exist, as problems (a relative path is
   * read against {@code base} and says so): what the download stage is given.
   */
  public static List<String> missingFiles(
      String model, Map<String, DatasetInput> datasets, Path base) {
    Map<String, String> sources = new LinkedHashMap<>();
    datasets.forEach((n, d) -> sources.put(n, d.source()));
    return missing(model, sources, base);
  }

  /**
   * The same read from a spec's JSON, whatever else is wrong with it, so that one report lists a
   * bad key and a missing file together.
   */
  public static List<String> missingFiles(JsonNode json, Path base) {
    String model = json.path("model").isTextual() ? json.get("model").asText() : null;
    Map<String, String> sources = new LinkedHashMap<>();
    json.path("datasets")
        .fields()
        .forEachRemaining(
            e -> {
              if (e.getValue().path("source").isTextual())
                sources.put(e.getKey(), e.getValue().get("source").asText());
            });
    return missing(model, sources, base);
  }

  private static List<String> missing(String model, Map<String, String> datasets, Path base) {
    List<String> p = new ArrayList<>();
    if (model != null
        && !model.isBlank()
        && isLocal(model)
        && !Files.isDirectory(base.resolve(local(model))))
      p.add(
          "model: folder "
              + base.resolve(local(model))
              + " does not exist"
              + resolvedAgainst(local(model), base));
    datasets.forEach(
        (n, source) -> {
          if (!source.isBlank() && isLocal(source) && !Files.exists(base.resolve(local(source))))
            p.add(
                "datasets."
                    + n
                    + ".source: "
                    + base.resolve(local(source))
                    + " not found"
                    + resolvedAgainst(local(source), base));
        });
    return p;
  }

  /**
   * For a relative path, which folder it was read against: a spec sent by {@code temporal workflow
   * start} reaches the worker as it is, so its relative paths meet the worker's working folder.
   */
  private static String resolvedAgainst(String path, Path base) {
    if (Path.of(path).isAbsolute()) return "";
    return " (a relative path, resolved against "
        + base.toAbsolutePath().normalize()
        + ", the worker's working folder; make it absolute, or start the spec with liandan run,"
        + " which resolves it against the spec's folder)";
  }

  /** The same JSON with every local path made absolute against {@code base}. */
  public static ObjectNode resolvePaths(JsonNode spec, Path base) {
    ObjectNode out = spec.deepCopy();
    if (out.path("model").isTextual() && isLocal(out.get("model").asText()))
      out.put("model", base.resolve(local(out.get("model").asText())).normalize().toString());
    JsonNode ds = out.path("datasets");
    if (ds.isObject()) {
      for (Iterator<JsonNode> it = ds.elements(); it.hasNext(); ) {
        JsonNode d = it.next();
        if (d.isObject() && d.path("source").isTextual() && isLocal(d.get("source").asText()))
          ((ObjectNode) d)
              .put("source", base.resolve(local(d.get("source").asText())).normalize().toString());
      }
    }
    return out;
  }

  private static boolean isLocal(String source) {
    return source != null && !source.startsWith("hf:") && !source.startsWith("hf-dataset:");
  }

  private static String local(String source) {
    return source.startsWith("file:") ? source.substring("file:".length()) : source;
  }
}
