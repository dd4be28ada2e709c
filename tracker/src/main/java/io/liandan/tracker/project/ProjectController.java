package io.liandan.tracker.project;

import io.javalin.http.Context;
import java.util.List;

/** HTTP for projects. */
public final class ProjectController {
  private final ProjectService projects;

  public record Projects(List<ProjectService.Project> projects) {}

  public ProjectController(ProjectService projects) {
    this.projects = projects;
  }

  /** GET /api/v1/projects */
  public void list(Context ctx) {
    ctx.json(new Projects(projects.list()));
  }
}
