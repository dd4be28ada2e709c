package io.liandan.tracker;

import io.javalin.Javalin;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import io.liandan.tracker.artifact.ArtifactController;
import io.liandan.tracker.artifact.ArtifactService;
import io.liandan.tracker.auth.BearerAuth;
import io.liandan.tracker.auth.TokenService;
import io.liandan.tracker.metric.MetricController;
import io.liandan.tracker.metric.MetricReader;
import io.liandan.tracker.metric.MetricWriter;
import io.liandan.tracker.mlflow.MlflowController;
import io.liandan.tracker.mlflow.MlflowService;
import io.liandan.tracker.project.ProjectController;
import io.liandan.tracker.project.ProjectService;
import io.liandan.tracker.run.RunController;
import io.liandan.tracker.run.RunService;
import io.liandan.tracker.sample.SampleController;
import io.liandan.tracker.sample.SampleService;
import io.liandan.tracker.web.ApiErrors;
import io.liandan.tracker.web.DatabaseDown;
import io.liandan.tracker.web.Health;
import io.liandan.tracker.web.HttpSafety;
import io.liandan.tracker.web.Json;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tracker's HTTP API: every route, the auth check and the error format, declared here up front.
 * Controllers do HTTP only; services beneath hold the rules and the jOOQ queries.
 */
public final class TrackerApp {
  private static final Logger log = LoggerFactory.getLogger(TrackerApp.class);

  /** The services the routes call. */
  public record Deps(
      RunService runs,
      MetricWriter metricWriter,
      MetricReader metricReader,
      SampleService samples,
      ArtifactService artifacts,
      ProjectService projects,
      TokenService tokens,
      MlflowService mlflow,
      Health health) {

    public static Deps of(DSLContext db, Duration crashAfter) {
      RunService runs = new RunService(db, crashAfter);
      MetricWriter metricWriter = new MetricWriter(db);
      return new Deps(
          runs,
          metricWriter,
          new MetricReader(db),
          new SampleService(db),
          new ArtifactService(db),
          new ProjectService(db),
          new TokenService(db),
          new MlflowService(db, runs, metricWriter),
          new Health(db));
    }
  }

  /**
   * Classpath folder of the web UI (the {@code ui} module's jar). When it is on the classpath the
   * pages are served at {@code /} and ECharts from its WebJar at {@code /webjars/}; the API works
   * the same without it.
   */
  public static final String UI_RESOURCES = "liandan-ui";

  private TrackerApp() {}

  static boolean uiOnClasspath() {
    return TrackerApp.class.getClassLoader().getResource(UI_RESOURCES + "/index.html") != null;
  }

  /** The app as a loopback server runs it (Host checked against localhost, 127.0.0.1, [::1]). */
  public static Javalin create(Deps deps, boolean readsNeedToken) {
    return create(deps, readsNeedToken, HttpSafety.forServer("127.0.0.1", null));
  }

  public static Javalin create(Deps deps, boolean readsNeedToken, HttpSafety safety) {
    var auth = new BearerAuth(deps.tokens(), readsNeedToken);
    return Javalin.create(
        config -> {
          config.jsonMapper(new JavalinJackson(Json.MAPPER, false));
          config.http.maxRequestSize = Limits.MAX_REQUEST_BYTES;
          config.startup.showJavalinBanner = false;
          config.startup.showOldJavalinVersionWarning = false;

          if (uiOnClasspath()) {
            config.staticFiles.add(
                files -> {
                  files.hostedPath = "/";
                  files.directory = "/" + UI_RESOURCES;
                  files.location = Location.CLASSPATH;
                });
            config.staticFiles.enableWebjars();
          }

          config.routes.before(safety::check);
          config.routes.beforeMatched("/api/*", auth::check);
          config.routes.beforeMatched("/ajax-api/*", auth::check);

          config.routes.get("/healthz", deps.health()::alive);
          config.routes.get("/readyz", deps.health()::ready);
          apiRoutes(config.routes, deps);
          mlflowRoutes(config.routes, new MlflowController(deps.mlflow()));

          config.routes.exception(HttpResponseException.class, TrackerApp::error);
          config.routes.exception(Exception.class, TrackerApp::failure);
          config.routes.error(404, "*", TrackerApp::unmatched);
        });
  }

  /** Liandan's own API under /api/v1. */
  private static void apiRoutes(RoutesConfig routes, Deps deps) {
    var runs = new RunController(deps.runs());
    var metrics = new MetricController(deps.metricWriter(), deps.metricReader());
    var samples = new SampleController(deps.samples());
    var artifacts = new ArtifactController(deps.artifacts());
    var projects = new ProjectController(deps.projects());

    routes.get("/api/v1/projects", projects::list);
    routes.get("/api/v1/projects/{project}/runs", runs::list);

    routes.post("/api/v1/runs", runs::create);
    routes.get("/api/v1/runs", runs::byIds);
    routes.get("/api/v1/runs/{id}", runs::get);
    routes.patch("/api/v1/runs/{id}", runs::patch);

    routes.post("/api/v1/runs/{id}/metrics", metrics::log);
    routes.get("/api/v1/runs/{id}/metrics", metrics::series);
    routes.get("/api/v1/runs/{id}/metrics/keys", metrics::keys);
    routes.get("/api/v1/runs/{id}/metrics/series", metrics::seriesOfKeys);
    routes.get("/api/v1/metrics", metrics::compare);
    routes.get("/api/v1/metrics/series", metrics::compareKeys);

    routes.post("/api/v1/runs/{id}/samples", samples::append);
    routes.get("/api/v1/runs/{id}/samples", samples::read);

    routes.post("/api/v1/runs/{id}/artifacts", artifacts::log);
    routes.get("/api/v1/runs/{id}/artifacts", artifacts::ofRun);
    routes.post("/api/v1/runs/{id}/artifacts/used", artifacts::use);
    routes.get("/api/v1/artifacts/{id}", artifacts::lineage);
  }

  /** MLflow's tracking API subset, for mlflow clients (MLFLOW_TRACKING_URI=this server). */
  private static void mlflowRoutes(RoutesConfig routes, MlflowController mlflow) {
    for (String base : new String[] {"/api/2.0/mlflow", "/ajax-api/2.0/mlflow"}) {
      routes.get(base + "/experiments/get-by-name", mlflow::getExperimentByName);
      routes.get(base + "/experiments/get", mlflow::getExperiment);
      routes.post(base + "/experiments/create", mlflow::createExperiment);
      routes.post(base + "/experiments/search", mlflow::searchExperiments);
      routes.get(base + "/experiments/search", mlflow::searchExperiments);
      routes.post(base + "/runs/create", mlflow::createRun);
      routes.post(base + "/runs/update", mlflow::updateRun);
      routes.get(base + "/runs/get", mlflow::getRun);
      routes.post(base + "/runs/search", mlflow::searchRuns);
      routes.post(base + "/runs/log-batch", mlflow::logBatch);
      routes.post(base + "/runs/log-metric", mlflow::logMetric);
      routes.post(base + "/runs/log-parameter", mlflow::logParam);
      routes.post(base + "/runs/set-tag", mlflow::setTag);
      routes.get(base + "/metrics/get-history", mlflow::getHistory);
      // registered last, so only what no route above takes: ENDPOINT_NOT_FOUND
      routes.get(base + "/*", mlflow::unknownEndpoint);
      routes.post(base + "/*", mlflow::unknownEndpoint);
    }
  }

  /**
   * {"error": "...", "field": "..."} with the exception's status; under the MLflow routes MLflow's
   * {"error_code": "...", "message": "..."}.
   */
  private static void error(HttpResponseException e, Context ctx) {
    String retryAfter = e.getDetails().get(ApiErrors.RETRY_AFTER);
    if (retryAfter != null) {
      ctx.header("Retry-After", retryAfter);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    if (ctx.path().contains("/2.0/mlflow/")) {
      String code = e.getDetails().get("error_code");
      if (code == null) {
        code =
            switch (e.getStatus()) {
              case 401 -> "UNAUTHENTICATED";
              case 403 -> "PERMISSION_DENIED";
              case 404 -> "RESOURCE_DOES_NOT_EXIST";
              default -> "INVALID_PARAMETER_VALUE";
            };
      }
      String field = e.getDetails().get(ApiErrors.FIELD);
      body.put("error_code", code);
      body.put("message", e.getMessage() + (field == null ? "" : " (" + field + ")"));
    } else {
      body.put("error", e.getMessage());
      body.put("field", e.getDetails().get(ApiErrors.FIELD));
    }
    ctx.status(e.getStatus()).json(body);
  }

  private static void failure(Exception e, Context ctx) {
    if (DatabaseDown.is(e)) {
      // the watchdog restarts the embedded PostgreSQL, the pool reconnects: come back soon
      log.warn("{} {}: database unreachable ({})", ctx.method(), ctx.path(), e.toString());
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("error", "database unreachable, retry later");
      body.put("field", null);
      ctx.header("Retry-After", String.valueOf(DatabaseDown.RETRY_AFTER_SECONDS));
      ctx.status(503).json(body);
      return;
    }
    log.error("{} {} failed", ctx.method(), ctx.path(), e);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", "internal error: " + e.getClass().getSimpleName());
    body.put("field", null);
    ctx.status(500).json(body);
  }

  private static void unmatched(Context ctx) {
    if (ctx.result() == null || ctx.result().isEmpty()) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("error", "no route " + ctx.method() + " " + ctx.path());
      body.put("field", null);
      ctx.json(body);
    }
  }
}
