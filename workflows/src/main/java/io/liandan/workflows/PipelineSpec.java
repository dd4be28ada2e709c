package io.liandan.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.liandan.contracts.BadSpecException;
import io.liandan.contracts.LocalPaths;
import io.liandan.spec.DatasetInput;
import io.liandan.spec.Format;
import io.liandan.spec.FormatSpec;
import io.liandan.spec.TrainingArgs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pipeline, from one JSON document: the model, the datasets, the stages with their
 * hyperparameters, where the stages run and what to sweep. {@link #parse} checks everything that
 * can be checked without touching the disk and reports every problem at once, each with its path
 * ({@code stages[1].args.learning_rate: …}); {@link #missingFiles} adds the local files that do not
 * exist. Pure (no I/O in parse), so the workflow runs it too.
 */
public record PipelineSpec(
    String name,
    String project,
    String group,
    String model,
    Map<String, DatasetInput> datasets,
    List<StageSpec> stages,
    List<String> samplePrompts,
    String device,
    Queues queues,
    int heartbeatTimeoutSeconds,
    double progressIntervalSeconds,
    JsonNode sweep) {

  /**
   * Task queues: data stages (download, format, tokenize, merge) and model stages (pt…eval); null
   * means the queue the pipeline's workflow runs on.
   */
  public record Queues(String cpu, String gpu) {}

  public static final String DEFAULT_QUEUE = "liandan";
  static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> KEYS =
      Set.of(
          "name",
          "project",
          "group",
          "model",
          "datasets",
          "stages",
          "sample_prompts",
          "device",
          "queues",
          "heartbeat_timeout_seconds",
          "progress_interval_seconds",
          "sweep");
  private static final Set<String> STAGE_KEYS =
      Set.of("stage", "datasets", "args", "eval_ratio", "sample_before", "label", "dtype");
  private static final Set<String> DATASET_KEYS = Set.of("source", "files", "format", "split");

  /** Parses and validates; throws {@link BadSpecException} listing every problem. */
  public static PipelineSpec parse(JsonNode node) {
    List<String> problems = new ArrayList<>();
    PipelineSpec spec = parse(node, problems);
    if (spec == null) throw new BadSpecException(problems);
    return spec;
  }

  public static PipelineSpec parse(String json) {
    try {
      return parse(JSON.readTree(json));
    } catch (IOException e) {
      throw new BadSpecException(List.of("not JSON: " + e.getMessage().lines().findFirst().get()));
    }
  }

  /** Appends every problem to {@code problems}; null when there was any. */
  public static PipelineSpec parse(JsonNode node, List<String> problems) {
    int before = problems.size();
    if (node == null || !node.isObject()) {
      problems.add("the pipeline spec must be a JSON object");
      return null;
    }
    unknownKeys(node, KEYS, "", problems);
    String name = text(node, "name", "pipeline", "", problems);
    String project = text(node, "project", "liandan", "", problems);
    String group = text(node, "group", null, "", problems);
    String model = text(node, "model", null, "", problems);
    if (model == null || model.isBlank())
      problems.add("model: required (hf:org/name[@revision] or a local folder)");
    String device = text(node, "device", "cpu", "", problems);
    if (!device.matches("cpu|cuda(:\\d+)?"))
      problems.add("device: '" + device + "' is not cpu, cuda or cuda:N");

    Map<String, DatasetInput> datasets = datasets(node.get("datasets"), problems);
    List<StageSpec> stages = stages(node.get("stages"), datasets, problems);
    List<String> prompts = texts(node.get("sample_prompts"), "sample_prompts", problems);

    Queues queues = new Queues(null, null);
    JsonNode q = node.get("queues");
    if (q != null) {
      if (!q.isObject()) problems.add("queues: must be an object {\"cpu\": …, \"gpu\": …}");
      else {
        unknownKeys(q, Set.of("cpu", "gpu"), "queues.", problems);
        queues =
            new Queues(
                text(q, "cpu", null, "queues.", problems),
                text(q, "gpu", null, "queues.", problems));
      }
    }
    int heartbeat = (int) number(node, "heartbeat_timeout_seconds", 60, true, problems);
    if (heartbeat < 1) problems.add("heartbeat_timeout_seconds: must be >= 1, got " + heartbeat);
    double progress = number(node, "progress_interval_seconds", 5, false, problems);
    if (!(progress >= 0)) problems.add("progress_interval_seconds: must be >= 0");

    JsonNode sweep = node.get("sweep");
    if (sweep != null && problems.size() == before) Sweep.variants(node, problems);
    if (problems.size() > before) return null;
    return new PipelineSpec(
        name, project, group, model, datasets, stages, prompts, device, queues, heartbeat, progress,
        sweep);
  }

  /**
   * The names of the pipeline's steps in the order they run: the download; each training stage
   * after its {@code format-} and {@code tokenize-} steps; eval and merge where the spec has them.
   */
  public List<String> steps() {
    List<String> steps = new ArrayList<>(List.of("download"));
    for (StageSpec s : stages) {
      if (s.training()) {
        steps.add("format-" + s.stage());
        steps.add("tokenize-" + s.stage());
      }
      steps.add(s.stage());
    }
    return steps;
  }

  /** The stage named {@code stage}, or null. */
  public StageSpec stage(String stage) {
    return stages.stream().filter(s -> s.stage().equals(stage)).findFirst().orElse(null);
  }

  /** The datasets a stage reads, in its order. */
  public List<DatasetInput> inputs(StageSpec stage) {
    return stage.datasets().stream().map(datasets::get).toList();
  }

  /** The tracker group: the sweep's id for a sweep's children, else the pipeline's id. */
  public String groupOr(String pipelineId) {
    return group == null ? pipelineId : group;
  }

  /**
   * The local files the spec names that do not exist (Hub sources are checked when downloaded), as
   * problems; relative paths are resolved against {@code base}.
   */
  public List<String> missingFiles(Path base) {
    return LocalPaths.missingFiles(model, datasets, base);
  }

  private static Map<String, DatasetInput> datasets(JsonNode node, List<String> problems) {
    Map<String, DatasetInput> out = new LinkedHashMap<>();
    if (node == null) return out;
    if (!node.isObject()) {
      problems.add("datasets: must be an object of name → {source, format, files?, split?}");
      return out;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String where = "datasets." + e.getKey();
      JsonNode d = e.getValue();
      if (!d.isObject()) {
        problems.add(where + ": must be an object {source, format, files?, split?}");
        continue;
      }
      int before = problems.size();
      unknownKeys(d, DATASET_KEYS, where + ".", problems);
      String source = text(d, "source", null, where + ".", problems);
      if (source == null) problems.add(where + ".source: required (hf-dataset:org/name or a file)");
      List<String> files = texts(d.get("files"), where + ".files", problems);
      String split = text(d, "split", "train", where + ".", problems);
      if (!split.equals("train") && !split.equals("eval"))
        problems.add(where + ".split: '" + split + "' is not train or eval");
      FormatSpec format = null;
      JsonNode f = d.get("format");
      if (f == null) problems.add(where + ".format: required, e.g. {\"format\": \"alpaca\"}");
      else {
        try {
          format =
              FormatSpec.parse(
                  (f.isTextual() ? JSON.createObjectNode().put("format", f.asText()) : f)
                      .toString());
        } catch (IllegalArgumentException ex) {
          problems.add(where + ".format: " + rootMessage(ex));
        }
      }
      if (problems.size() == before)
        out.put(e.getKey(), new DatasetInput(source, files, format, split));
    }
    return out;
  }

  private static List<StageSpec> stages(
      JsonNode node, Map<String, DatasetInput> datasets, List<String> problems) {
    List<StageSpec> out = new ArrayList<>();
    if (node == null || !node.isArray() || node.isEmpty()) {
      problems.add("stages: required, a list of stages in the order " + StageSpec.ORDER);
      return out;
    }
    int last = -1;
    for (int i = 0; i < node.size(); i++) {
      String where = "stages[" + i + "]";
      JsonNode s = node.get(i);
      if (!s.isObject()) {
        problems.add(where + ": must be an object {stage, …}");
        continue;
      }
      unknownKeys(s, STAGE_KEYS, where + ".", problems);
      String stage = text(s, "stage", null, where + ".", problems);
      int at = StageSpec.ORDER.indexOf(stage);
      if (at < 0) {
        problems.add(where + ".stage: '" + stage + "' is not one of " + StageSpec.ORDER);
        continue;
      }
      if (at <= last)
        problems.add(
            where
                + ".stage: "
                + stage
                + " after "
                + StageSpec.ORDER.get(last)
                + "; stages run once each, in the order "
                + StageSpec.ORDER);
      last = Math.max(last, at);
      List<String> names = texts(s.get("datasets"), where + ".datasets", problems);
      boolean training = StageSpec.TRAINING.contains(stage);
      if (training && names.isEmpty())
        problems.add(where + ".datasets: a " + stage + " stage needs at least one dataset");
      for (int j = 0; j < names.size(); j++) {
        DatasetInput d = datasets.get(names.get(j));
        if (d == null) {
          problems.add(where + ".datasets[" + j + "]: no dataset named '" + names.get(j) + "'");
        } else if (training && !fits(stage, d.format().format())) {
          problems.add(
              where
                  + ".datasets["
                  + j
                  + "]: "
                  + stage
                  + " cannot train on '"
                  + names.get(j)
                  + "' (format "
                  + d.format().format().id()
                  + ")");
        }
      }
      if (!training && !names.isEmpty() && !stage.equals("eval"))
        problems.add(where + ".datasets: a " + stage + " stage reads no datasets");
      TrainingArgs args =
          TrainingArgs.parse(s.get("args"), where + ".args", problems, training ? stage : null);
      if (stage.equals("kto") && out.stream().anyMatch(x -> x.stage().equals("dpo")))
        problems.add(
            where
                + ".stage: kto after dpo; a pipeline has one preference stage, dpo or kto (eval"
                + " scores preference data against that stage's start)");
      double evalRatio = number(s, "eval_ratio", 0, false, problems, where + ".");
      if (!(evalRatio >= 0 && evalRatio < 1))
        problems.add(where + ".eval_ratio: must be in [0, 1), got " + evalRatio);
      boolean sampleBefore = bool(s, "sample_before", false, where + ".", problems);
      String label = text(s, "label", "final", where + ".", problems);
      String dtype = text(s, "dtype", "float32", where + ".", problems);
      if (!TrainingArgs.SAVE_DTYPES.contains(dtype))
        problems.add(where + ".dtype: '" + dtype + "' is not one of " + TrainingArgs.SAVE_DTYPES);
      out.add(new StageSpec(stage, names, args, evalRatio, sampleBefore, label, dtype));
    }
    if (out.stream().noneMatch(StageSpec::training)
        && out.stream().anyMatch(s -> s.stage().equals("eval") && s.datasets().isEmpty()))
      problems.add("stages: an eval stage without training stages needs its own datasets");
    return out;
  }

  private static boolean fits(String stage, Format f) {
    return switch (stage) {
      case "pt" -> f == Format.TEXT;
      case "dpo" -> f == Format.PREFERENCE;
      // KTO's own data, or preference pairs unpaired as TRL's KTOTrainer does
      case "kto" -> f == Format.KTO || f == Format.PREFERENCE;
      default -> f != Format.TEXT && f != Format.PREFERENCE && f != Format.KTO;
    };
  }

  static void unknownKeys(JsonNode node, Set<String> known, String prefix, List<String> problems) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!known.contains(k))
        problems.add(
            prefix
                + k
                + ": unknown key (expected one of "
                + known.stream().sorted().toList()
                + ")");
    }
  }

  private static String text(
      JsonNode node, String key, String def, String prefix, List<String> problems) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) return def;
    if (!v.isTextual()) {
      problems.add(prefix + key + ": must be a string, got " + v);
      return def;
    }
    return v.asText();
  }

  private static boolean bool(
      JsonNode node, String key, boolean def, String prefix, List<String> problems) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) return def;
    if (!v.isBoolean()) problems.add(prefix + key + ": must be true or false, got " + v);
    return v.asBoolean(def);
  }

  private static double number(
      JsonNode node, String key, double def, boolean integral, List<String> problems) {
    return number(node, key, def, integral, problems, "");
  }

  private static double number(
      JsonNode node,
      String key,
      double def,
      boolean integral,
      List<String> problems,
      String prefix) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) return def;
    if (!v.isNumber() || (integral && v.asDouble() != Math.rint(v.asDouble()))) {
      problems.add(
          prefix + key + ": must be " + (integral ? "an integer" : "a number") + ", got " + v);
      return def;
    }
    return v.asDouble();
  }

  private static List<String> texts(JsonNode v, String where, List<String> problems) {
    if (v == null || v.isNull()) return List.of();
    if (v.isTextual()) return List.of(v.asText());
    List<String> out = new ArrayList<>();
    if (!v.isArray()) {
      problems.add(where + ": must be a string or a list of strings");
      return out;
    }
    for (JsonNode e : (ArrayNode) v) {
      if (!e.isTextual()) problems.add(where + ": must hold strings only, got " + e);
      else out.add(e.asText());
    }
    return out;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    String m = t.getMessage() == null ? t.toString() : t.getMessage();
    return m.lines().findFirst().orElse(m);
  }
}
