package io.liandan.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.contracts.BadSpecException;
import io.liandan.contracts.LocalPaths;
import io.liandan.workflows.PipelineSpec;
import io.liandan.workflows.PipelineStatus;
import io.liandan.workflows.runtime.Pipelines;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code liandan run SPEC}: validates the spec, stores it, starts the pipeline workflow. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Start a pipeline from a spec (validated first; exit 2 listing every problem).")
final class RunCommand extends PipelineCommand {
  static final ObjectMapper JSON = new ObjectMapper();

  @Parameters(paramLabel = "SPEC", description = "the pipeline spec (JSON)")
  Path specFile;

  @Option(names = "--id", description = "pipeline (workflow) id (default: <name>-<timestamp>)")
  String id;

  @Option(names = "--queue", defaultValue = "liandan", description = "the workflow's task queue")
  String queue;

  @Option(names = "--watch", description = "follow the stages' progress until the pipeline ends")
  boolean watch;

  @Option(
      names = "--ui",
      description = "tracker UI to link to (default: LIANDAN_UI or http://127.0.0.1:7878)")
  String ui;

  @Override
  public Integer call() throws Exception {
    JsonNode spec = load(specFile);
    // every problem in one report: the spec's own and the local files it names that do not exist
    List<String> problems = new java.util.ArrayList<>();
    PipelineSpec parsed = PipelineSpec.parse(spec, problems);
    problems.addAll(LocalPaths.missingFiles(spec, Path.of("")));
    if (!problems.isEmpty()) throw new BadSpecException(problems);
    String pipelineId =
        id != null
            ? id
            : parsed.name()
                + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Pipelines pipelines = pipelines();
    pipelines.start(pipelineId, spec, queue);
    return started(pipelines, pipelineId, parsed.project(), watch, ui, out());
  }

  /** The spec's JSON with relative paths made absolute against its folder. */
  static JsonNode load(Path file) {
    try {
      JsonNode raw = JSON.readTree(file.toFile());
      Path base = file.toAbsolutePath().getParent();
      return LocalPaths.resolvePaths(raw, base);
    } catch (IOException e) {
      throw new BadSpecException(
          new ArrayList<>(List.of(file + ": " + e.getMessage().lines().findFirst().orElse(""))));
    }
  }

  static int started(
      Pipelines pipelines,
      String id,
      String project,
      boolean watch,
      String ui,
      java.io.PrintWriter out)
      throws InterruptedException {
    String link =
        ui != null ? ui : System.getenv().getOrDefault("LIANDAN_UI", "http://127.0.0.1:7878");
    out.println("pipeline " + id + " started");
    out.println("  tracker: " + link + " (project " + project + ", group " + id + ")");
    out.println("  status:  liandan status " + id + "   cancel: liandan cancel " + id);
    if (!watch) return 0;
    PipelineStatus s = new PipelineWatch(pipelines, out).follow(id);
    out.println("pipeline " + id + " " + s.state());
    if (s.error() != null) out.println(s.error());
    return s.state().equals("completed")
        ? 0
        : s.error() != null && s.error().startsWith("bad pipeline spec") ? 2 : 1;
  }
}
