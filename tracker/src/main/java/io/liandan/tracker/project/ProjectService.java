package io.liandan.tracker.project;

import static io.liandan.tracker.db.Tables.PROJECTS;
import static io.liandan.tracker.db.Tables.RUNS;

import java.time.OffsetDateTime;
import java.util.List;
import org.jooq.DSLContext;
import org.jooq.Records;
import org.jooq.impl.DSL;

/** Projects: created on first use by {@code POST /runs}; listed with their run counts. */
public final class ProjectService {
  private final DSLContext db;

  public record Project(
      String name, int runs, OffsetDateTime createdAt, OffsetDateTime lastActivity) {}

  public ProjectService(DSLContext db) {
    this.db = db;
  }

  /** Creates project {@code name}: its id, or null when a project of that name exists. */
  public static Long create(DSLContext ctx, String name) {
    return ctx.insertInto(PROJECTS, PROJECTS.NAME)
        .values(name)
        .onConflictDoNothing()
        .returningResult(PROJECTS.ID)
        .fetchOne(PROJECTS.ID);
  }

  public List<Project> list() {
    return db.select(
            PROJECTS.NAME,
            DSL.count(RUNS.ID),
            PROJECTS.CREATED_AT,
            DSL.coalesce(DSL.max(RUNS.UPDATED_AT), PROJECTS.CREATED_AT))
        .from(PROJECTS)
        .leftJoin(RUNS)
        .on(RUNS.PROJECT_ID.eq(PROJECTS.ID))
        .groupBy(PROJECTS.ID)
        .orderBy(PROJECTS.NAME)
        .fetch(Records.mapping(Project::new));
  }
}
