package io.liandan.tracker.mlflow;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.liandan.tracker.web.Json;
import java.util.List;
import java.util.Map;

/**
 * HTTP for MLflow's tracking API subset under /api/2.0/mlflow; errors come back as MLflow's {@code
 * {"error_code": "...", "message": "..."}}.
 */
public final class MlflowController {
  private final MlflowService mlflow;

  public MlflowController(MlflowService mlflow) {
    this.mlflow = mlflow;
  }

  public void getExperimentByName(Context ctx) {
    ctx.json(Map.of("experiment", mlflow.experimentByName(ctx.queryParam("experiment_name"))));
  }

  public void getExperiment(Context ctx) {
    ctx.json(Map.of("experiment", mlflow.experiment(ctx.queryParam("experiment_id"))));
  }

  public void createExperiment(Context ctx) {
    String id = mlflow.createExperiment(Json.read(ctx, MlflowJson.CreateExperiment.class));
    ctx.json(Map.of("experiment_id", id));
  }

  /** POST with a JSON body, or GET with the same fields as query parameters (MLflow takes both). */
  public void searchExperiments(Context ctx) {
    MlflowJson.SearchExperiments req;
    if (ctx.method() == HandlerType.POST) {
      req =
          ctx.contentLength() != 0
              ? Json.read(ctx, MlflowJson.SearchExperiments.class)
              : new MlflowJson.SearchExperiments(null, null, null, null, null);
    } else {
      String max = ctx.queryParam("max_results");
      Integer maxResults;
      try {
        maxResults = max == null || max.isBlank() ? null : Integer.valueOf(max.strip());
      } catch (NumberFormatException e) {
        throw MlflowService.invalid("max_results must be an integer");
      }
      req =
          new MlflowJson.SearchExperiments(
              maxResults,
              ctx.queryParam("page_token"),
              ctx.queryParam("filter"),
              ctx.queryParams("order_by"),
              ctx.queryParam("view_type"));
    }
    ctx.json(mlflow.searchExperiments(req));
  }

  /** Anything else under MLflow's prefix: MLflow's ENDPOINT_NOT_FOUND, not a missing resource. */
  public void unknownEndpoint(Context ctx) {
    throw MlflowService.error(
        404,
        "ENDPOINT_NOT_FOUND",
        "No API endpoint " + ctx.method() + " " + ctx.path() + " in this server's MLflow API");
  }

  public void createRun(Context ctx) {
    ctx.json(Map.of("run", mlflow.createRun(Json.read(ctx, MlflowJson.CreateRun.class))));
  }

  public void updateRun(Context ctx) {
    ctx.json(Map.of("run_info", mlflow.updateRun(Json.read(ctx, MlflowJson.UpdateRun.class))));
  }

  public void getRun(Context ctx) {
    String id = ctx.queryParam("run_id");
    ctx.json(Map.of("run", mlflow.run(id != null ? id : ctx.queryParam("run_uuid"))));
  }

  public void searchRuns(Context ctx) {
    ctx.json(mlflow.search(Json.read(ctx, MlflowJson.SearchRuns.class)));
  }

  public void logBatch(Context ctx) {
    mlflow.logBatch(Json.read(ctx, MlflowJson.LogBatch.class));
    ctx.json(Map.of());
  }

  public void logMetric(Context ctx) {
    MlflowJson.LogMetric m = Json.read(ctx, MlflowJson.LogMetric.class);
    var metric = new MlflowJson.Metric(m.key(), m.value(), m.timestamp(), m.step());
    logOne(ctx, new MlflowJson.LogBatch(m.runId(), m.runUuid(), List.of(metric), null, null));
  }

  public void logParam(Context ctx) {
    MlflowJson.LogKeyValue p = Json.read(ctx, MlflowJson.LogKeyValue.class);
    var param = new MlflowJson.KeyValue(p.key(), p.value());
    logOne(ctx, new MlflowJson.LogBatch(p.runId(), p.runUuid(), null, List.of(param), null));
  }

  public void setTag(Context ctx) {
    MlflowJson.LogKeyValue t = Json.read(ctx, MlflowJson.LogKeyValue.class);
    var tag = new MlflowJson.KeyValue(t.key(), t.value());
    logOne(ctx, new MlflowJson.LogBatch(t.runId(), t.runUuid(), null, null, List.of(tag)));
  }

  /** A single-value endpoint: a batch of one, answered {@code {}} as log-batch is. */
  private void logOne(Context ctx, MlflowJson.LogBatch one) {
    mlflow.logBatch(one);
    ctx.json(Map.of());
  }

  public void getHistory(Context ctx) {
    String id = ctx.queryParam("run_id");
    ctx.json(
        mlflow.history(
            id != null ? id : ctx.queryParam("run_uuid"),
            ctx.queryParam("metric_key"),
            ctx.queryParam("max_results"),
            ctx.queryParam("page_token")));
  }
}
