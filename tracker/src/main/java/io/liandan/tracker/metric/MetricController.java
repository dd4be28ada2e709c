package io.liandan.tracker.metric;

import io.javalin.http.Context;
import io.liandan.tracker.Limits;
import io.liandan.tracker.run.RunController;
import io.liandan.tracker.web.ApiErrors;
import io.liandan.tracker.web.Check;
import io.liandan.tracker.web.Json;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/** HTTP for metric history; the rules live in {@link MetricService}. */
public final class MetricController {
  private final MetricService metrics;

  public record Keys(long runId, List<String> keys, Map<String, SeriesSummary> summaries) {}

  public record Compare(String key, List<Series> runs) {}

  public MetricController(MetricService metrics) {
    this.metrics = metrics;
  }

  /** POST /api/v1/runs/{id}/metrics */
  public void log(Context ctx) {
    long id = RunController.id(ctx);
    ctx.json(metrics.log(id, Json.read(ctx, MetricBatch.class)));
  }

  /** GET /api/v1/runs/{id}/metrics?key=K&amp;maxPoints=N[&amp;times=true][&amp;from=S&amp;to=S] */
  public void series(Context ctx) {
    long id = RunController.id(ctx);
    ctx.json(metrics.series(id, key(ctx), maxPoints(ctx), range(ctx), times(ctx)));
  }

  /** GET /api/v1/runs/{id}/metrics/keys */
  public void keys(Context ctx) {
    long id = RunController.id(ctx);
    Map<String, SeriesSummary> s = metrics.keys(id);
    ctx.json(new Keys(id, List.copyOf(s.keySet()), s));
  }

  /**
   * GET /api/v1/metrics?runs=1,2,3&amp;key=K&amp;maxPoints=N[&amp;times=true][&amp;from=S&amp;to=S]
   */
  public void compare(Context ctx) {
    String runs = ctx.queryParam("runs");
    if (runs == null || runs.isBlank()) {
      throw ApiErrors.badRequest("runs", "runs is required: a comma-separated list of run ids");
    }
    LinkedHashSet<Long> ids = new LinkedHashSet<>();
    for (String part : runs.split(",")) {
      ids.add(Check.id("runs", part.strip()));
    }
    if (ids.size() > Limits.MAX_COMPARE_RUNS) {
      throw ApiErrors.badRequest("runs", "at most " + Limits.MAX_COMPARE_RUNS + " runs at once");
    }
    String key = key(ctx);
    ctx.json(
        new Compare(
            key,
            metrics.compare(new ArrayList<>(ids), key, maxPoints(ctx), range(ctx), times(ctx))));
  }

  private static String key(Context ctx) {
    return Check.required("key", ctx.queryParam("key"), Limits.MAX_KEY_LENGTH);
  }

  private static StepRange range(Context ctx) {
    Long from = Check.longParam("from", ctx.queryParam("from"));
    Long to = Check.longParam("to", ctx.queryParam("to"));
    if (from != null && to != null && from > to) {
      throw ApiErrors.badRequest("to", "to must not be less than from");
    }
    return new StepRange(from, to);
  }

  private static boolean times(Context ctx) {
    return Check.boolParam("times", ctx.queryParam("times"), false);
  }

  private static int maxPoints(Context ctx) {
    return Check.intParam(
        "maxPoints",
        ctx.queryParam("maxPoints"),
        Limits.DEFAULT_SERIES_POINTS,
        2,
        Limits.MAX_SERIES_POINTS);
  }
}
