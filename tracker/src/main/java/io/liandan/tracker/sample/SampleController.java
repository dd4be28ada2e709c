package io.liandan.tracker.sample;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.liandan.tracker.Limits;
import io.liandan.tracker.run.RunController;
import io.liandan.tracker.web.Check;
import io.liandan.tracker.web.Json;
import java.util.List;

/** HTTP for sample tables; the rules live in {@link SampleService}. */
public final class SampleController {
  private final SampleService samples;

  public record Tables(long runId, List<SampleService.TableInfo> tables) {}

  public record Rows(long runId, String table, List<SampleService.Row> rows) {}

  public SampleController(SampleService samples) {
    this.samples = samples;
  }

  /** POST /api/v1/runs/{id}/samples */
  public void append(Context ctx) {
    long id = RunController.id(ctx);
    ctx.status(HttpStatus.CREATED)
        .json(samples.append(id, Json.read(ctx, SampleService.SampleBatch.class)));
  }

  /** GET /api/v1/runs/{id}/samples[?table=T&amp;offset=…&amp;limit=…] */
  public void read(Context ctx) {
    long id = RunController.id(ctx);
    String table = ctx.queryParam("table");
    if (table == null) {
      ctx.json(new Tables(id, samples.tables(id)));
      return;
    }
    int limit =
        Check.intParam(
            "limit", ctx.queryParam("limit"), Limits.DEFAULT_PAGE_SIZE, 1, Limits.MAX_SAMPLE_ROWS);
    int offset = Check.intParam("offset", ctx.queryParam("offset"), 0, 0, Integer.MAX_VALUE);
    ctx.json(new Rows(id, table, samples.rows(id, table, offset, limit)));
  }
}
