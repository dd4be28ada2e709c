package io.liandan.activities;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.activities.data.FormatService;
import io.liandan.activities.data.TokenizeService;
import io.liandan.activities.hub.GlobPatterns;
import io.liandan.activities.hub.HubDownloader;
import io.liandan.activities.hub.SourceSpec;
import io.liandan.contracts.BadSpecException;
import io.liandan.contracts.DataActivities;
import io.liandan.contracts.FormatPayload;
import io.liandan.contracts.LocalPaths;
import io.liandan.contracts.MergePayload;
import io.liandan.contracts.PrepareRequest;
import io.liandan.contracts.Prepared;
import io.liandan.contracts.StageResult;
import io.liandan.contracts.TokenizePayload;
import io.liandan.llm.data.tokenize.TokenizeManifest;
import io.liandan.llm.stage.MergeResult;
import io.liandan.llm.stage.MergeStage;
import io.liandan.spec.DatasetInput;
import io.liandan.spec.MergeRequest;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The CPU stages, each a thin call into the activities module's services or llm's merge. */
public final class DataActivitiesImpl implements DataActivities {
  /** What of a model repo the stages read. */
  static final String[] MODEL_FILES = {
    "*.json", "*.safetensors", "*.txt", "*.model", "*.jinja", "*.tiktoken"
  };

  private final StageRunner runner;
  private final HubDownloader hub;

  public DataActivitiesImpl(StageRunner runner, HubDownloader hub) {
    this.runner = runner;
    this.hub = hub;
  }

  @Override
  public List<String> missingFiles(JsonNode spec) {
    return LocalPaths.missingFiles(spec, Path.of(""));
  }

  @Override
  public Prepared download(PrepareRequest r) {
    ActivityExecutionContext ctx = Activity.getExecutionContext();
    if (r.spec() != null) runner.store().saveSpec(r.pipelineId(), r.spec());
    return StageRunner.heartbeating(
        ctx,
        () -> {
          try {
            // checked again: a file may have gone since the workflow's check
            List<String> missing = LocalPaths.missingFiles(r.model(), r.datasets(), Path.of(""));
            if (!missing.isEmpty()) throw new BadSpecException(missing);
            Path model = hub.download(SourceSpec.parse(r.model()), MODEL_FILES);
            Map<String, String> keys = new LinkedHashMap<>();
            for (Map.Entry<String, DatasetInput> d : r.datasets().entrySet()) {
              List<String> files =
                  d.getValue().files().isEmpty() ? FormatService.DATA_FILES : d.getValue().files();
              Path root =
                  hub.download(
                      SourceSpec.parse(d.getValue().source()),
                      GlobPatterns.allow(files.toArray(String[]::new)));
              keys.put(d.getKey(), ContentKeys.of(root));
            }
            return new Prepared(model.toString(), ContentKeys.of(model), keys, null);
          } catch (RuntimeException e) {
            throw BadInput.classify(e);
          }
        });
  }

  @Override
  public StageResult format(FormatPayload p) {
    return runner.run(
        p.stage(),
        Map.of("datasets", p.datasets()),
        (dir, run, ctx) -> {
          FormatService.Result res =
              StageRunner.heartbeating(ctx, () -> new FormatService(hub).format(p.datasets(), dir));
          Map<String, Double> m =
              Map.of(
                  "train_samples", (double) res.trainSamples(),
                  "eval_samples", (double) res.evalSamples());
          run.summary(m);
          return StageRunner.Output.of(m);
        });
  }

  @Override
  public StageResult tokenize(TokenizePayload p) {
    return runner.run(
        p.stage(),
        Map.of("tokenize", p.spec(), "model", p.modelDir()),
        (dir, run, ctx) -> {
          TokenizeManifest m =
              StageRunner.heartbeating(
                  ctx,
                  () ->
                      new TokenizeService()
                          .tokenize(Path.of(p.formatted()), Path.of(p.modelDir()), p.spec(), dir));
          Map<String, Double> metrics = new LinkedHashMap<>();
          metrics.put("samples_read", (double) m.samplesRead());
          metrics.put("truncated", (double) m.truncated());
          m.splits()
              .forEach(
                  (split, s) -> {
                    metrics.put(split + "_samples", (double) s.samples());
                    metrics.put(split + "_tokens", (double) s.tokens());
                  });
          run.summary(metrics);
          return StageRunner.Output.of(metrics);
        });
  }

  @Override
  public StageResult merge(MergePayload p) {
    MergeRequest r = p.request();
    return runner.run(
        p.stage(),
        Map.of("dtype", r.dtype(), "model", r.model()),
        (dir, run, ctx) -> {
          MergeResult m =
              StageRunner.heartbeating(ctx, () -> new MergeStage().run(r.withOut(dir.toString())));
          run.summary(Map.of("merged", m.merged(), "adapters", m.adapters()));
          return new StageRunner.Output(m.merged(), null, 0, 0, Map.of(), 0);
        });
  }
}
