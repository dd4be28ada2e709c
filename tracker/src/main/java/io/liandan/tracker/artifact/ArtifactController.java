package io.liandan.tracker.artifact;

import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.liandan.tracker.run.RunController;
import io.liandan.tracker.web.Check;
import io.liandan.tracker.web.Json;

/** HTTP for artifacts and lineage; the rules live in {@link ArtifactService}. */
public final class ArtifactController {
  private final ArtifactService artifacts;

  public ArtifactController(ArtifactService artifacts) {
    this.artifacts = artifacts;
  }

  /** POST /api/v1/runs/{id}/artifacts: 201 new, 200 when the run had logged that name. */
  public void log(Context ctx) {
    long id = RunController.id(ctx);
    ArtifactService.Logged l = artifacts.log(id, Json.read(ctx, ArtifactService.LogArtifact.class));
    ctx.status(l.created() ? HttpStatus.CREATED : HttpStatus.OK).json(l.artifact());
  }

  /** POST /api/v1/runs/{id}/artifacts/used */
  public void use(Context ctx) {
    long id = RunController.id(ctx);
    ctx.json(artifacts.use(id, Json.read(ctx, ArtifactService.UseArtifact.class)));
  }

  /** GET /api/v1/runs/{id}/artifacts */
  public void ofRun(Context ctx) {
    ctx.json(artifacts.ofRun(RunController.id(ctx)));
  }

  /** GET /api/v1/artifacts/{id} */
  public void lineage(Context ctx) {
    ctx.json(artifacts.lineage(Check.id("id", ctx.pathParam("id"))));
  }
}
