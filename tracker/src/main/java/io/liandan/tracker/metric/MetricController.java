package io.liandan.tracker.metric;

import io.javalin.http.ContentType;
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
import java.util.function.Function;

/** HTTP for metric history; the rules live in {@link MetricWriter} and {@link MetricReader}. */
public final class MetricController {
  private final MetricWriter writer;
  private final MetricReader reader;

  public record Keys(long runId, List<String> keys, Map<String, SeriesSummary> summaries) {}

  public record Compare(String key, List<Series> runs) {}

  /** The multi-key read of one run: {@code {"runId":1,"series":[Series…]}}, keys in order. */
  public record RunSeries(long runId, List<Series> series) {}

  /** The multi-key compare read: {@code {"series":[{"key":K,"runs":[Series…]}…]}}. */
  public record CompareSeries(List<Compare> series) {}

  public MetricController(MetricWriter writer, MetricReader reader) {
    this.writer = writer;
    this.reader = reader;
  }

  /** A read's maxPoints (per series), step range and whether it returns times. */
  private record Read(int maxPoints, StepRange range, boolean times) {}

  /**
   * Reads {@code series} series within the {@link ReadGate}: the request's {@link Read} is checked
   * first (maxPoints, then range, then times), then {@code maxPoints × series} points (the most the
   * read may return) stay reserved until the response is serialized, so the heap a read needs is
   * held only while it has them.
   */
  private void gated(Context ctx, int series, Function<Read, Object> read) {
    Read r = new Read(maxPoints(ctx, series), range(ctx), times(ctx));
    try (ReadGate.Permit p = reader.gate().enter((long) r.maxPoints() * series)) {
      ctx.contentType(ContentType.APPLICATION_JSON).result(Json.bytes(read.apply(r)));
    }
  }

  /** POST /api/v1/runs/{id}/metrics */
  public void log(Context ctx) {
    long id = RunController.id(ctx);
    ctx.json(writer.log(id, Json.read(ctx, MetricBatch.class)));
  }

  /** GET /api/v1/runs/{id}/metrics?key=K&amp;maxPoints=N[&amp;times=true][&amp;from=S&amp;to=S] */
  public void series(Context ctx) {
    long id = RunController.id(ctx);
    String key = key(ctx);
    gated(ctx, 1, r -> reader.series(id, key, r.maxPoints(), r.range(), r.times()));
  }

  /**
   * GET
   * /api/v1/runs/{id}/metrics/series?key=A&amp;key=B…&amp;maxPoints=N[&amp;times=true][&amp;from=S&amp;to=S]:
   * several keys of one run in one request, each downsampled as the single-key read does.
   */
  public void seriesOfKeys(Context ctx) {
    long id = RunController.id(ctx);
    List<String> keys = keys(ctx, 1);
    gated(
        ctx,
        keys.size(),
        r -> new RunSeries(id, reader.series(id, keys, r.maxPoints(), r.range(), r.times())));
  }

  /** GET /api/v1/runs/{id}/metrics/keys */
  public void keys(Context ctx) {
    long id = RunController.id(ctx);
    Map<String, SeriesSummary> s = reader.keys(id);
    ctx.json(new Keys(id, List.copyOf(s.keySet()), s));
  }

  /**
   * GET /api/v1/metrics?runs=1,2,3&amp;key=K&amp;maxPoints=N[&amp;times=true][&amp;from=S&amp;to=S]
   */
  public void compare(Context ctx) {
    List<Long> ids = runIds(ctx);
    String key = key(ctx);
    gated(
        ctx,
        ids.size(),
        r -> new Compare(key, reader.compare(ids, key, r.maxPoints(), r.range(), r.times())));
  }

  /**
   * GET
   * /api/v1/metrics/series?runs=1,2,3&amp;key=A&amp;key=B…&amp;maxPoints=N[&amp;times=true][&amp;from=S&amp;to=S]:
   * several keys of many runs in one request (the compare view's charts).
   */
  public void compareKeys(Context ctx) {
    List<Long> ids = runIds(ctx);
    List<String> keys = keys(ctx, ids.size());
    gated(
        ctx,
        ids.size() * keys.size(),
        r -> {
          List<List<Series>> read = reader.compare(ids, keys, r.maxPoints(), r.range(), r.times());
          List<Compare> out = new ArrayList<>(keys.size());
          for (int i = 0; i < keys.size(); i++) {
            out.add(new Compare(keys.get(i), read.get(i)));
          }
          return new CompareSeries(out);
        });
  }

  private static List<Long> runIds(Context ctx) {
    return Check.ids("runs", ctx.queryParam("runs"), Limits.MAX_COMPARE_RUNS);
  }

  /**
   * The repeated {@code key} parameter (a key may hold any character but a control character, so a
   * comma-separated list could not name every key): distinct, in order, at most {@link
   * Limits#MAX_SERIES_KEYS} and at most {@link Limits#MAX_SERIES_PER_READ} series for {@code runs}
   * runs.
   */
  private static List<String> keys(Context ctx, int runs) {
    List<String> given = ctx.queryParams("key");
    if (given.isEmpty()) {
      throw ApiErrors.badRequest("key", "key is required: one key parameter per metric key");
    }
    LinkedHashSet<String> keys = new LinkedHashSet<>();
    for (String k : given) {
      keys.add(Check.required("key", k, Limits.MAX_KEY_LENGTH));
    }
    int max = Math.min(Limits.MAX_SERIES_KEYS, Limits.MAX_SERIES_PER_READ / runs);
    if (keys.size() > max) {
      throw ApiErrors.badRequest(
          "key",
          keys.size()
              + " keys; at most "
              + max
              + " per request"
              + (runs > 1 ? " for " + runs + " runs" : "")
              + ": split them");
    }
    return new ArrayList<>(keys);
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

  /**
   * maxPoints for a read of {@code series} series: at most {@link Limits#MAX_READ_POINTS} in all.
   */
  private static int maxPoints(Context ctx, int series) {
    int n = maxPoints(ctx);
    if ((long) n * series > Limits.MAX_READ_POINTS) {
      throw ApiErrors.badRequest(
          "maxPoints",
          "maxPoints × series must not exceed "
              + Limits.MAX_READ_POINTS
              + " ("
              + series
              + " series): ask for fewer points or fewer series");
    }
    return n;
  }
}
