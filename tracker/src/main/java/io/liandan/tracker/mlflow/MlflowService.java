package io.liandan.tracker.mlflow;

import static io.liandan.tracker.db.Tables.METRIC_POINTS;
import static io.liandan.tracker.db.Tables.METRIC_SUMMARIES;
import static io.liandan.tracker.db.Tables.PROJECTS;
import static io.liandan.tracker.db.Tables.RUNS;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.HttpResponseException;
import io.liandan.tracker.Limits;
import io.liandan.tracker.filter.FilterCompiler.SortKey;
import io.liandan.tracker.filter.FilterException;
import io.liandan.tracker.filter.FilterExpr;
import io.liandan.tracker.metric.MetricBatch;
import io.liandan.tracker.metric.MetricWriter;
import io.liandan.tracker.mlflow.MlflowJson.Experiment;
import io.liandan.tracker.mlflow.MlflowJson.KeyValue;
import io.liandan.tracker.mlflow.MlflowJson.Metric;
import io.liandan.tracker.mlflow.MlflowJson.Run;
import io.liandan.tracker.mlflow.MlflowJson.RunData;
import io.liandan.tracker.mlflow.MlflowJson.RunInfo;
import io.liandan.tracker.project.ProjectService;
import io.liandan.tracker.run.RunService;
import io.liandan.tracker.run.RunState;
import io.liandan.tracker.web.Json;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.SortField;
import org.jooq.impl.DSL;

/**
 * MLflow's tracking API mapped onto the tracker's tables, so that a script using the mlflow client
 * (or transformers' Trainer with report_to="mlflow") logs here by setting MLFLOW_TRACKING_URI.
 *
 * <p>Mapping: experiment = project (experiment "0" is the project "Default", created by the first
 * write to it, never by a read); run = run (run_id is the run's id); params = top-level config
 * entries, as strings, immutable once logged as MLflow requires; tags = labels, except
 * mlflow.runName (the run's name) and mlflow.note.content (its notes), plus the run's own fields as
 * read-only liandan.* tags; metrics = metric history. One difference: history here is idempotent on
 * (run, key, step), so two values logged at the same step keep only the later one (MLflow keeps
 * both).
 */
public record MlflowService(DSLContext db, RunService runs, MetricWriter metrics) {
  static final String DEFAULT_EXPERIMENT = "Default";
  static final String RUN_NAME_TAG = "mlflow.runName";
  static final String NOTE_TAG = "mlflow.note.content";
  static final String USER_TAG = "mlflow.user";

  /**
   * Liandan's own run fields shown as read-only MLflow tags, so that pipeline runs read (and
   * filter) through an MLflow client: the pipeline (group), the stage's kind (job type), the
   * create-or-resume key, the run's tag list (as a JSON array) and Temporal's ids.
   */
  static final String LIANDAN_PREFIX = "liandan.";

  static final String GROUP_TAG = "liandan.group";
  static final String JOB_TYPE_TAG = "liandan.job_type";
  static final String KEY_TAG = "liandan.key";
  static final String TAGS_TAG = "liandan.tags";
  static final String WORKFLOW_TAG = "liandan.workflow_id";
  static final String ACTIVITY_TAG = "liandan.activity_id";

  // MLflow's own limits for one log-batch request (mlflow/utils/validation.py), stricter than the
  // tracker's MAX_POINTS_PER_BATCH: a client that stays within them works against MLflow too
  static final int MAX_BATCH_METRICS = 1000;
  static final int MAX_BATCH_PARAMS = 100;
  static final int MAX_BATCH_TAGS = 100;
  static final int MAX_BATCH_ENTITIES = 1000;

  // ---- experiments ----

  public Experiment experimentByName(String name) {
    require("experiment_name", name);
    Record r =
        db.select(PROJECTS.ID, PROJECTS.NAME, PROJECTS.CREATED_AT)
            .from(PROJECTS)
            .where(PROJECTS.NAME.eq(name))
            .fetchOne();
    if (r == null) {
      if (name.equals(DEFAULT_EXPERIMENT)) {
        return unsavedDefault();
      }
      throw notFound("Could not find experiment with name '" + name + "'");
    }
    return experiment(r);
  }

  public Experiment experiment(String experimentId) {
    Long id = existingProjectId(experimentId);
    if (id == null) {
      return unsavedDefault();
    }
    return experiment(
        db.select(PROJECTS.ID, PROJECTS.NAME, PROJECTS.CREATED_AT)
            .from(PROJECTS)
            .where(PROJECTS.ID.eq(id))
            .fetchSingle());
  }

  /**
   * Experiment "0" before anything was logged to it: MLflow always has it, but a read must not
   * create the project (it appears, and in searches, with the first run logged to it).
   */
  private static Experiment unsavedDefault() {
    return new Experiment("0", DEFAULT_EXPERIMENT, "", "active", null, null, List.of());
  }

  public String createExperiment(MlflowJson.CreateExperiment req) {
    String name = require("name", req.name());
    if (name.length() > 128) {
      throw invalid("experiment names are at most 128 characters");
    }
    Long id = ProjectService.create(db, name);
    if (id == null) {
      throw error(400, "RESOURCE_ALREADY_EXISTS", "Experiment '" + name + "' already exists.");
    }
    return experimentId(id, name);
  }

  /**
   * search_experiments: MLflow's filter, order_by (default creation_time DESC), view_type and
   * offset paging. Experiments here are never deleted, so DELETED_ONLY finds none.
   */
  public MlflowJson.ExperimentsPage searchExperiments(MlflowJson.SearchExperiments req) {
    int max = maxResults(req.maxResults());
    int offset = pageOffset(req.pageToken());
    boolean deletedOnly = deletedOnly("view_type", req.viewType());
    Condition where;
    List<SortField<?>> order;
    try {
      where = MlflowExperimentFilter.parse(req.filter());
    } catch (FilterException e) {
      throw invalid("filter: " + e.getMessage());
    }
    try {
      order = MlflowExperimentFilter.orderBy(req.orderBy());
    } catch (FilterException e) {
      throw invalid("order_by: " + e.getMessage());
    }
    if (deletedOnly) {
      return new MlflowJson.ExperimentsPage(List.of(), null);
    }
    List<Experiment> found =
        db.select(PROJECTS.ID, PROJECTS.NAME, PROJECTS.CREATED_AT)
            .from(PROJECTS)
            .where(where)
            .orderBy(order)
            .limit(max + 1)
            .offset(offset)
            .fetch(MlflowService::experiment);
    String next = found.size() > max ? String.valueOf(offset + max) : null;
    return new MlflowJson.ExperimentsPage(found.subList(0, Math.min(max, found.size())), next);
  }

  // ---- runs ----

  public Run createRun(MlflowJson.CreateRun req) {
    long projectId = projectId(req.experimentId() == null ? "0" : req.experimentId());
    String name = req.runName();
    String notes = null;
    ObjectNode labels = Json.MAPPER.createObjectNode();
    if (req.userId() != null && !req.userId().isBlank()) {
      labels.put(USER_TAG, req.userId());
    }
    if (req.tags() != null) {
      for (KeyValue t : req.tags()) {
        checkTag(t);
        switch (t.key()) {
          case RUN_NAME_TAG -> name = name == null ? t.value() : name;
          case NOTE_TAG -> notes = t.value();
          default -> labels.put(t.key(), t.value());
        }
      }
    }
    long id =
        db.insertInto(RUNS)
            .set(RUNS.PROJECT_ID, projectId)
            .set(RUNS.NAME, name)
            .set(RUNS.NOTES, notes)
            .set(RUNS.LABELS, Json.jsonb(labels))
            .set(
                RUNS.CREATED_AT,
                req.startTime() == null
                    ? DSL.currentOffsetDateTime()
                    : DSL.val(millis(req.startTime())))
            .returningResult(RUNS.ID)
            .fetchSingle(RUNS.ID);
    return run(String.valueOf(id));
  }

  public RunInfo updateRun(MlflowJson.UpdateRun req) {
    long id = runId(req.runId() != null ? req.runId() : req.runUuid());
    var u =
        db.update(RUNS)
            .set(RUNS.UPDATED_AT, DSL.currentOffsetDateTime())
            .set(RUNS.HEARTBEAT_AT, DSL.currentOffsetDateTime());
    if (req.status() != null) {
      RunState s;
      try {
        s = RunState.parse(state(req.status()));
      } catch (FilterException e) {
        throw invalid(e.getMessage());
      }
      u = u.set(RUNS.STATE, s.wire());
      if (s.terminal()) {
        u =
            u.set(
                RUNS.FINISHED_AT,
                req.endTime() != null
                    ? DSL.val(millis(req.endTime()))
                    : DSL.coalesce(RUNS.FINISHED_AT, DSL.currentOffsetDateTime()));
      } else {
        u = u.setNull(RUNS.FINISHED_AT);
      }
    } else if (req.endTime() != null) {
      u = u.set(RUNS.FINISHED_AT, millis(req.endTime()));
    }
    if (req.runName() != null) {
      u = u.set(RUNS.NAME, req.runName());
    }
    if (u.where(RUNS.ID.eq(id)).execute() == 0) {
      throw runNotFound(String.valueOf(id));
    }
    return run(String.valueOf(id)).info();
  }

  public Run run(String runId) {
    long id = runId(runId);
    List<Run> found = runs(List.of(id));
    if (found.isEmpty()) {
      throw runNotFound(runId);
    }
    return found.get(0);
  }

  public MlflowJson.RunsPage search(MlflowJson.SearchRuns req) {
    List<Long> projects = new ArrayList<>();
    if (req.experimentIds() == null || req.experimentIds().isEmpty()) {
      throw invalid("experiment_ids must name at least one experiment");
    }
    for (String e : req.experimentIds()) {
      Long id = existingProjectId(e);
      if (id != null) {
        projects.add(id);
      }
    }
    int max = maxResults(req.maxResults());
    int offset = pageOffset(req.pageToken());
    boolean deletedOnly = deletedOnly("run_view_type", req.runViewType());
    FilterExpr filter;
    List<SortKey> order = new ArrayList<>();
    try {
      filter = MlflowFilter.parse(req.filter());
    } catch (FilterException e) {
      throw invalid("filter: " + e.getMessage());
    }
    if (req.orderBy() != null) {
      for (String o : req.orderBy()) {
        try {
          order.add(MlflowFilter.orderBy(o == null ? "" : o));
        } catch (FilterException e) {
          throw invalid("order_by: " + e.getMessage());
        }
      }
    }
    if (projects.isEmpty() || deletedOnly) {
      return new MlflowJson.RunsPage(List.of(), null);
    }
    List<Long> ids;
    try {
      ids = runs.searchIds(projects, filter, order, max + 1, offset);
    } catch (FilterException e) {
      throw invalid("filter: " + e.getMessage());
    }
    String next = ids.size() > max ? String.valueOf(offset + max) : null;
    return new MlflowJson.RunsPage(runs(ids.subList(0, Math.min(max, ids.size()))), next);
  }

  private static int maxResults(Integer requested) {
    int max = requested == null ? Limits.MAX_PAGE_SIZE : requested;
    if (max < 1 || max > Limits.MAX_PAGE_SIZE) {
      throw invalid("max_results must be between 1 and " + Limits.MAX_PAGE_SIZE);
    }
    return max;
  }

  /** Page tokens are the offset of the next page, opaque to clients. */
  private static int pageOffset(String token) {
    if (token == null || token.isBlank()) {
      return 0;
    }
    try {
      int offset = Integer.parseInt(token.strip());
      if (offset >= 0) {
        return offset;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw invalid("invalid page_token");
  }

  /**
   * MLflow's ViewType by name or protobuf number. Nothing here is ever deleted, so ACTIVE_ONLY and
   * ALL are the same; true for DELETED_ONLY.
   */
  private static boolean deletedOnly(String field, String viewType) {
    if (viewType == null || viewType.isBlank()) {
      return false;
    }
    return switch (viewType.strip().toUpperCase(java.util.Locale.ROOT)) {
      case "ACTIVE_ONLY", "1", "ALL", "3" -> false;
      case "DELETED_ONLY", "2" -> true;
      default ->
          throw invalid(
              "Invalid value '"
                  + viewType
                  + "' for "
                  + field
                  + "; one of ACTIVE_ONLY, DELETED_ONLY, ALL");
    };
  }

  // ---- logging ----

  /**
   * Params and tags first (one transaction, params checked against what the run has), then the
   * metrics as one idempotent batch; as in MLflow, a failure may leave part of a batch written.
   */
  public void logBatch(MlflowJson.LogBatch req) {
    long id = runId(req.runId() != null ? req.runId() : req.runUuid());
    List<KeyValue> params = req.params() == null ? List.of() : req.params();
    List<KeyValue> tags = req.tags() == null ? List.of() : req.tags();
    List<Metric> points = req.metrics() == null ? List.of() : req.metrics();
    checkBatchLimits(points.size(), params.size(), tags.size());
    List<MetricBatch.Point> batch = new ArrayList<>(points.size());
    for (int i = 0; i < points.size(); i++) {
      Metric m = points.get(i);
      if (m == null || m.key() == null || m.value() == null) {
        throw invalid("every metric needs a key and a value (metrics[" + i + "])");
      }
      if (m.timestamp() == null) {
        throw invalid("Missing value for required parameter 'metrics[" + i + "].timestamp'");
      }
      String time = BigDecimal.valueOf(m.timestamp()).movePointLeft(3).toPlainString();
      batch.add(new MetricBatch.Point(m.key(), m.step() == null ? 0L : m.step(), m.value(), time));
    }
    if (!params.isEmpty() || !tags.isEmpty()) {
      db.transaction(cfg -> writeParamsAndTags(cfg.dsl(), id, params, tags));
    }
    if (!batch.isEmpty()) {
      try {
        metrics.log(id, new MetricBatch(batch));
      } catch (HttpResponseException e) {
        throw translate(e);
      }
    } else if (params.isEmpty() && tags.isEmpty() && !runs.exists(id)) {
      throw runNotFound(String.valueOf(id));
    }
  }

  /**
   * MLflow's per-request limits of log-batch (mlflow/utils/validation.py), checked before writing.
   */
  private static void checkBatchLimits(int metrics, int params, int tags) {
    String split = " Please split up %s across multiple requests and try again.";
    checkBatchLimit("metrics", metrics, MAX_BATCH_METRICS, split);
    checkBatchLimit("params", params, MAX_BATCH_PARAMS, split);
    checkBatchLimit("tags", tags, MAX_BATCH_TAGS, split);
    int total = metrics + params + tags;
    if (total > MAX_BATCH_ENTITIES) {
      throw invalid(
          "A batch logging request can contain at most "
              + MAX_BATCH_ENTITIES
              + " metrics, params, and tags in total. Got "
              + total
              + " in total."
              + split.formatted("them"));
    }
  }

  /** MLflow's message for one kind of entity ({@code what}) over its limit. */
  private static void checkBatchLimit(String what, int count, int max, String split) {
    if (count > max) {
      throw invalid(
          "A batch logging request can contain at most "
              + max
              + " "
              + what
              + ". Got "
              + count
              + " "
              + what
              + "."
              + split.formatted(what));
    }
  }

  private void writeParamsAndTags(
      DSLContext tx, long id, List<KeyValue> params, List<KeyValue> tags) {
    Record row =
        tx.select(RUNS.CONFIG, RUNS.LABELS).from(RUNS).where(RUNS.ID.eq(id)).forUpdate().fetchOne();
    if (row == null) {
      throw runNotFound(String.valueOf(id));
    }
    JsonNode config = Json.tree(row.get(RUNS.CONFIG));
    ObjectNode newParams = Json.MAPPER.createObjectNode();
    for (KeyValue p : params) {
      checkPresent("param", p);
      checkLengths("param", p, Limits.MAX_PARAM_VALUE_LENGTH);
      JsonNode old = config.get(p.key());
      JsonNode pending = newParams.get(p.key());
      String was = old != null ? paramText(old) : pending != null ? pending.asText() : null;
      if (was != null && !was.equals(p.value())) {
        throw invalid(
            "Changing param values is not allowed. Param with key='"
                + p.key()
                + "' was already logged with value='"
                + was
                + "' for run ID='"
                + id
                + "'. Attempted logging new value '"
                + p.value()
                + "'.");
      }
      newParams.put(p.key(), p.value());
    }
    ObjectNode labels = Json.MAPPER.createObjectNode();
    String name = null;
    String notes = null;
    for (KeyValue t : tags) {
      checkTag(t);
      switch (t.key()) {
        case RUN_NAME_TAG -> name = t.value();
        case NOTE_TAG -> notes = t.value();
        default -> labels.put(t.key(), t.value());
      }
    }
    var u =
        tx.update(RUNS)
            .set(RUNS.UPDATED_AT, DSL.currentOffsetDateTime())
            .set(RUNS.HEARTBEAT_AT, DSL.currentOffsetDateTime())
            .set(RUNS.CONFIG, RunService.merged(RUNS.CONFIG, newParams))
            .set(RUNS.LABELS, RunService.merged(RUNS.LABELS, labels));
    if (name != null) {
      u = u.set(RUNS.NAME, name);
    }
    if (notes != null) {
      u = u.set(RUNS.NOTES, notes);
    }
    u.where(RUNS.ID.eq(id)).execute();
  }

  public MlflowJson.MetricsPage history(
      String runId, String key, String maxResults, String pageToken) {
    long id = runId(runId);
    require("metric_key", key);
    int max = Limits.MAX_HISTORY_PAGE;
    if (maxResults != null && !maxResults.isBlank()) {
      try {
        max = Integer.parseInt(maxResults);
      } catch (NumberFormatException e) {
        throw invalid("max_results must be an integer");
      }
      if (max < 1 || max > Limits.MAX_HISTORY_PAGE) {
        throw invalid("max_results must be between 1 and " + Limits.MAX_HISTORY_PAGE);
      }
    }
    if (!runs.exists(id)) {
      throw runNotFound(runId);
    }
    var P = METRIC_POINTS;
    var where = P.RUN_ID.eq(id).and(P.KEY.eq(key));
    if (pageToken != null && !pageToken.isBlank()) {
      try {
        where = where.and(P.STEP.gt(Long.parseLong(pageToken)));
      } catch (NumberFormatException e) {
        throw invalid("invalid page_token");
      }
    }
    List<Metric> points =
        db.select(P.STEP, P.VALUE, P.WALL_TIME)
            .from(P)
            .where(where)
            .orderBy(P.STEP)
            .limit(max + 1)
            .fetch(r -> new Metric(key, r.value2(), millis(r.value3()), r.value1()));
    String next = null;
    if (points.size() > max) {
      points = points.subList(0, max);
      next = String.valueOf(points.get(max - 1).step());
    }
    return new MlflowJson.MetricsPage(points, next);
  }

  // ---- mapping ----

  /** Runs with their data, in the order of {@code ids} (two queries whatever the count). */
  private List<Run> runs(List<Long> ids) {
    if (ids.isEmpty()) {
      return List.of();
    }
    Field<String> state = runs.displayedState();
    Map<Long, Record> rows = new HashMap<>();
    db.select(
            RUNS.ID,
            RUNS.PROJECT_ID,
            PROJECTS.NAME,
            RUNS.NAME,
            state.as("displayed_state"),
            RUNS.CREATED_AT,
            RUNS.FINISHED_AT,
            RUNS.CONFIG,
            RUNS.LABELS,
            RUNS.NOTES,
            RUNS.GROUP_NAME,
            RUNS.JOB_TYPE,
            RUNS.RUN_KEY,
            RUNS.TAGS,
            RUNS.WORKFLOW_ID,
            RUNS.ACTIVITY_ID)
        .from(RUNS)
        .join(PROJECTS)
        .on(PROJECTS.ID.eq(RUNS.PROJECT_ID))
        .where(RUNS.ID.in(ids))
        .forEach(r -> rows.put(r.get(RUNS.ID), r));
    Map<Long, List<Metric>> latest = new HashMap<>();
    var S = METRIC_SUMMARIES;
    var P = METRIC_POINTS;
    db.select(S.RUN_ID, S.KEY, S.LAST_VALUE, S.LAST_STEP, P.WALL_TIME)
        .from(S)
        .leftJoin(P)
        .on(P.RUN_ID.eq(S.RUN_ID).and(P.KEY.eq(S.KEY)).and(P.STEP.eq(S.LAST_STEP)))
        .where(S.RUN_ID.in(ids))
        .orderBy(S.RUN_ID, S.KEY)
        .forEach(
            r ->
                latest
                    .computeIfAbsent(r.value1(), k -> new ArrayList<>())
                    .add(new Metric(r.value2(), r.value3(), millis(r.value5()), r.value4())));
    List<Run> out = new ArrayList<>(ids.size());
    for (long id : new LinkedHashSet<>(ids)) {
      Record r = rows.get(id);
      if (r != null) {
        out.add(toRun(r, latest.getOrDefault(id, List.of())));
      }
    }
    return out;
  }

  private static Run toRun(Record r, List<Metric> metrics) {
    long id = r.get(RUNS.ID);
    String runId = String.valueOf(id);
    JsonNode labels = Json.tree(r.get(RUNS.LABELS));
    String name = r.get(RUNS.NAME);
    RunInfo info =
        new RunInfo(
            runId,
            runId,
            name,
            experimentId(r.get(RUNS.PROJECT_ID), r.get(PROJECTS.NAME)),
            labels.path(USER_TAG).asText(""),
            status(r.get("displayed_state", String.class)),
            millis(r.get(RUNS.CREATED_AT)),
            millis(r.get(RUNS.FINISHED_AT)),
            "",
            "active");
    List<KeyValue> params = new ArrayList<>();
    Json.tree(r.get(RUNS.CONFIG))
        .fields()
        .forEachRemaining(e -> params.add(new KeyValue(e.getKey(), paramText(e.getValue()))));
    List<KeyValue> tags = new ArrayList<>();
    labels
        .fields()
        .forEachRemaining(e -> tags.add(new KeyValue(e.getKey(), paramText(e.getValue()))));
    if (name != null) {
      tags.add(new KeyValue(RUN_NAME_TAG, name));
    }
    if (r.get(RUNS.NOTES) != null) {
      tags.add(new KeyValue(NOTE_TAG, r.get(RUNS.NOTES)));
    }
    addTag(tags, GROUP_TAG, r.get(RUNS.GROUP_NAME));
    addTag(tags, JOB_TYPE_TAG, r.get(RUNS.JOB_TYPE));
    addTag(tags, KEY_TAG, r.get(RUNS.RUN_KEY));
    String[] own = r.get(RUNS.TAGS);
    if (own != null && own.length > 0) {
      tags.add(new KeyValue(TAGS_TAG, Json.MAPPER.valueToTree(own).toString()));
    }
    addTag(tags, WORKFLOW_TAG, r.get(RUNS.WORKFLOW_ID));
    addTag(tags, ACTIVITY_TAG, r.get(RUNS.ACTIVITY_ID));
    return new Run(info, new RunData(metrics, params, tags));
  }

  private static void addTag(List<KeyValue> tags, String key, String value) {
    if (value != null) {
      tags.add(new KeyValue(key, value));
    }
  }

  private static Experiment experiment(Record r) {
    long created = millis(r.get(PROJECTS.CREATED_AT));
    return new Experiment(
        experimentId(r.get(PROJECTS.ID), r.get(PROJECTS.NAME)),
        r.get(PROJECTS.NAME),
        "",
        "active",
        created,
        created,
        List.of());
  }

  /** MLflow's RUNNING/SCHEDULED/FINISHED/FAILED/KILLED → the tracker's states. */
  static String state(String mlflowStatus) {
    return switch (mlflowStatus.strip().toUpperCase(java.util.Locale.ROOT)) {
      case "RUNNING", "SCHEDULED" -> RunState.RUNNING.wire();
      case "FINISHED" -> RunState.FINISHED.wire();
      case "FAILED" -> RunState.FAILED.wire();
      case "KILLED" -> RunState.CRASHED.wire();
      default ->
          throw new FilterException(
              "unknown status '"
                  + mlflowStatus
                  + "'; one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED");
    };
  }

  static String status(String state) {
    return switch (state) {
      case "finished" -> "FINISHED";
      case "failed" -> "FAILED";
      case "crashed" -> "KILLED";
      default -> "RUNNING";
    };
  }

  private static String experimentId(long projectId, String name) {
    return DEFAULT_EXPERIMENT.equals(name) ? "0" : String.valueOf(projectId);
  }

  /** The project a write goes to; experiment "0" (Default) is created on first use. */
  private long projectId(String experimentId) {
    if ("0".equals(experimentId)) {
      return ensureProject(DEFAULT_EXPERIMENT);
    }
    return existingProjectId(experimentId);
  }

  /**
   * The project of an experiment id, for reads: null for experiment "0" while the Default project
   * does not exist yet; 404 for any other unknown id.
   */
  private Long existingProjectId(String experimentId) {
    if ("0".equals(experimentId)) {
      return db.select(PROJECTS.ID)
          .from(PROJECTS)
          .where(PROJECTS.NAME.eq(DEFAULT_EXPERIMENT))
          .fetchOne(PROJECTS.ID);
    }
    long id;
    try {
      id = Long.parseLong(experimentId == null ? "" : experimentId.strip());
    } catch (NumberFormatException e) {
      throw notFound("No Experiment with id=" + experimentId + " exists");
    }
    if (!db.fetchExists(PROJECTS, PROJECTS.ID.eq(id))) {
      throw notFound("No Experiment with id=" + experimentId + " exists");
    }
    return id;
  }

  private long ensureProject(String name) {
    db.insertInto(PROJECTS, PROJECTS.NAME).values(name).onConflictDoNothing().execute();
    return db.select(PROJECTS.ID)
        .from(PROJECTS)
        .where(PROJECTS.NAME.eq(name))
        .fetchSingle(PROJECTS.ID);
  }

  private static long runId(String runId) {
    if (runId == null || runId.isBlank()) {
      throw invalid("run_id is required");
    }
    try {
      return Long.parseLong(runId.strip());
    } catch (NumberFormatException e) {
      throw runNotFound(runId);
    }
  }

  private static void checkTag(KeyValue t) {
    checkPresent("tag", t);
    if (t.key().startsWith(LIANDAN_PREFIX)) {
      throw invalid(
          "tag '"
              + t.key()
              + "': tags starting with '"
              + LIANDAN_PREFIX
              + "' are the run's own fields, read-only through MLflow");
    }
    checkLengths("tag", t, Limits.MAX_TAG_VALUE_LENGTH);
  }

  /** A param or tag ({@code what}) has a key that is not blank and a value. */
  private static void checkPresent(String what, KeyValue kv) {
    if (kv == null || kv.key() == null || kv.key().isBlank() || kv.value() == null) {
      throw invalid("every " + what + " needs a key and a value");
    }
  }

  /** A param's or tag's key and value are within MLflow's lengths. */
  private static void checkLengths(String what, KeyValue kv, int maxValueLength) {
    if (kv.key().length() > Limits.MAX_KEY_LENGTH || kv.value().length() > maxValueLength) {
      throw invalid(
          what
              + " keys are at most "
              + Limits.MAX_KEY_LENGTH
              + " characters and values at most "
              + maxValueLength);
    }
  }

  /** A config value as MLflow shows a param: strings as they are, anything else as JSON. */
  private static String paramText(JsonNode v) {
    return v.isTextual() ? v.asText() : v.toString();
  }

  private static Long millis(OffsetDateTime t) {
    return t == null ? null : t.toInstant().toEpochMilli();
  }

  private static OffsetDateTime millis(long ms) {
    return Instant.ofEpochMilli(ms).atOffset(ZoneOffset.UTC);
  }

  private static String require(String field, String value) {
    if (value == null || value.isBlank()) {
      throw invalid("Missing value for required parameter '" + field + "'");
    }
    return value;
  }

  /** The tracker's own 4xx as MLflow error codes. */
  private static HttpResponseException translate(HttpResponseException e) {
    String code =
        switch (e.getStatus()) {
          case 404 -> "RESOURCE_DOES_NOT_EXIST";
          default -> "INVALID_PARAMETER_VALUE";
        };
    String field = e.getDetails().get("field");
    return error(
        e.getStatus() == 413 ? 400 : e.getStatus(),
        code,
        e.getMessage() + (field == null ? "" : " (" + field + ")"));
  }

  static HttpResponseException invalid(String message) {
    return error(400, "INVALID_PARAMETER_VALUE", message);
  }

  static HttpResponseException notFound(String message) {
    return error(404, "RESOURCE_DOES_NOT_EXIST", message);
  }

  private static HttpResponseException runNotFound(String runId) {
    return notFound("Run '" + runId + "' not found");
  }

  static HttpResponseException error(int status, String code, String message) {
    return new HttpResponseException(status, message, Map.of("error_code", code));
  }
}
