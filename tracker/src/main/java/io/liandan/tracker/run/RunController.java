package io.liandan.tracker.run;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.liandan.tracker.Limits;
import io.liandan.tracker.web.Check;
import io.liandan.tracker.web.Json;
import java.util.List;

/** HTTP for runs; the rules live in {@link RunService}. */
public final class RunController {
  private final RunService runs;

  public record RunList(String project, List<Run> runs) {}

  public RunController(RunService runs) {
    this.runs = runs;
  }

  /** POST /api/v1/runs: 201 with a new run, 200 with the run already under that key. */
  public void create(Context ctx) {
    RunService.Created c = runs.createOrResume(Json.read(ctx, CreateRunRequest.class));
    ctx.status(c.created() ? HttpStatus.CREATED : HttpStatus.OK).json(c.run());
  }

  public void get(Context ctx) {
    ctx.json(runs.get(id(ctx)));
  }

  public void patch(Context ctx) {
    long id = id(ctx);
    ctx.json(runs.patch(id, Json.read(ctx, PatchRunRequest.class)));
  }

  /** The runs of one request by id: {@code {"runs":[Run…]}}, in the order asked. */
  public record Runs(List<Run> runs) {}

  /**
   * GET /api/v1/runs?ids=3,5,8: the compare view's runs, from any projects, in one request; 404
   * naming the first unknown id.
   */
  public void byIds(Context ctx) {
    ctx.json(
        new Runs(runs.byIds(Check.ids("ids", ctx.queryParam("ids"), Limits.MAX_COMPARE_RUNS))));
  }

  /** GET /api/v1/projects/{project}/runs?filter=…&amp;sort=…&amp;limit=…&amp;offset=… */
  public void list(Context ctx) {
    String project = ctx.pathParam("project");
    int limit =
        Check.intParam(
            "limit", ctx.queryParam("limit"), Limits.DEFAULT_PAGE_SIZE, 1, Limits.MAX_PAGE_SIZE);
    int offset = Check.intParam("offset", ctx.queryParam("offset"), 0, 0, Integer.MAX_VALUE);
    ctx.json(
        new RunList(
            project,
            runs.list(project, ctx.queryParam("filter"), ctx.queryParam("sort"), limit, offset)));
  }

  public static long id(Context ctx) {
    return Check.id("id", ctx.pathParam("id"));
  }
}
