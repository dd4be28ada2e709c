package io.liandan.tracker.auth;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.UnauthorizedResponse;
import io.liandan.tracker.web.ApiErrors;
import java.util.Map;

/**
 * The before-handler of every API route: writes need {@code Authorization: Bearer <token>}; reads
 * (GETs, and MLflow's POST searches) need one only when the server is configured so. MLflow clients
 * send the token from MLFLOW_TRACKING_TOKEN. 401 for a missing, malformed or unknown token.
 */
public record BearerAuth(TokenService tokens, boolean readsNeedToken) {

  public void check(Context ctx) {
    HandlerType m = ctx.method();
    boolean read =
        m == HandlerType.GET
            || m == HandlerType.HEAD
            || m == HandlerType.OPTIONS
            || ctx.path().endsWith("/2.0/mlflow/runs/search")
            || ctx.path().endsWith("/2.0/mlflow/experiments/search");
    if (read && !readsNeedToken) {
      return;
    }
    String header = ctx.header("Authorization");
    if (header == null || header.isBlank()) {
      throw unauthorized(ctx, (read ? "reads" : "writes") + " need Authorization: Bearer <token>");
    }
    if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw unauthorized(ctx, "the Authorization header must be 'Bearer <token>'");
    }
    if (!tokens.isValid(header.substring(7).strip())) {
      throw unauthorized(ctx, "unknown or revoked token");
    }
  }

  private static UnauthorizedResponse unauthorized(Context ctx, String message) {
    ctx.header("WWW-Authenticate", "Bearer");
    return new UnauthorizedResponse(message, Map.of(ApiErrors.FIELD, "Authorization"));
  }
}
