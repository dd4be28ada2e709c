package io.liandan.tracker.web;

import io.javalin.http.Context;
import java.util.Map;
import org.jooq.DSLContext;

/**
 * {@code GET /healthz}: the process answers (200). {@code GET /readyz}: the database answers too
 * (200), or not (503 with Retry-After), for a load balancer or a supervisor. Neither needs a token
 * nor reveals more than up/down.
 */
public final class Health {
  private final DSLContext db;

  public Health(DSLContext db) {
    this.db = db;
  }

  public void alive(Context ctx) {
    ctx.json(Map.of("status", "alive"));
  }

  public void ready(Context ctx) {
    boolean up;
    try {
      up = db.selectOne().fetchOne() != null;
    } catch (RuntimeException e) {
      up = false;
    }
    if (up) {
      ctx.json(Map.of("status", "ready"));
    } else {
      ctx.header("Retry-After", String.valueOf(DatabaseDown.RETRY_AFTER_SECONDS));
      ctx.status(503).json(Map.of("status", "database unreachable"));
    }
  }
}
