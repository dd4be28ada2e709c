package io.liandan.tracker.run;

import static io.liandan.tracker.db.Tables.METRIC_SUMMARIES;
import static io.liandan.tracker.db.Tables.PROJECTS;
import static io.liandan.tracker.db.Tables.RUNS;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.tracker.Limits;
import io.liandan.tracker.db.Keys;
import io.liandan.tracker.db.tables.records.RunsRecord;
import io.liandan.tracker.filter.FilterCompiler;
import io.liandan.tracker.filter.FilterException;
import io.liandan.tracker.filter.FilterExpr;
import io.liandan.tracker.filter.FilterParser;
import io.liandan.tracker.metric.MetricReader;
import io.liandan.tracker.metric.SeriesSummary;
import io.liandan.tracker.project.ProjectService;
import io.liandan.tracker.web.ApiErrors;
import io.liandan.tracker.web.Check;
import io.liandan.tracker.web.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record;
import org.jooq.Record2;
import org.jooq.SelectField;
import org.jooq.UpdateSetMoreStep;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/** Runs: create-or-resume by key, read, patch, and the filtered listing of a project. */
public final class RunService {
  private final DSLContext db;
  private final Field<String> state;
  private final FilterCompiler filters;

  public record Created(Run run, boolean created) {}

  public RunService(DSLContext db, Duration crashAfter) {
    this.db = db;
    this.state = displayedState(crashAfter);
    this.filters = new FilterCompiler(state);
  }

  /**
   * The state a run shows: 'crashed' for a 'running' run whose last heartbeat (any write to it) is
   * older than {@code crashAfter}, measured on the database's clock.
   */
  public static Field<String> displayedState(Duration crashAfter) {
    Condition stale =
        DSL.condition(
            "{0} < now() - make_interval(secs => {1})",
            RUNS.HEARTBEAT_AT, DSL.val(crashAfter.toMillis() / 1000.0));
    return DSL.when(RUNS.STATE.eq(RunState.RUNNING.wire()).and(stale), DSL.inline("crashed"))
        .otherwise(RUNS.STATE);
  }

  public Created createOrResume(CreateRunRequest req) {
    String project = Check.required("project", req.project(), 128);
    String key = Check.optional("key", req.key(), Limits.MAX_NAME_LENGTH);
    String name = Check.optional("name", req.name(), Limits.MAX_NAME_LENGTH);
    String group = Check.optional("group", req.group(), Limits.MAX_NAME_LENGTH);
    String jobType = Check.optional("jobType", req.jobType(), Limits.MAX_NAME_LENGTH);
    String notes = Check.text("notes", req.notes(), Limits.MAX_NOTES_LENGTH);
    String workflowId = Check.optional("workflowId", req.workflowId(), Limits.MAX_NAME_LENGTH);
    String activityId = Check.optional("activityId", req.activityId(), Limits.MAX_NAME_LENGTH);
    var config = Check.boundedObject("config", req.config());
    var labels = Check.boundedObject("labels", req.labels());
    String[] tags = Check.tags("tags", req.tags());
    return db.transactionResult(
        cfg -> {
          DSLContext tx = cfg.dsl();
          long projectId = projectId(tx, project);
          var insert =
              tx.insertInto(RUNS)
                  .set(RUNS.PROJECT_ID, projectId)
                  .set(RUNS.RUN_KEY, key)
                  .set(RUNS.NAME, name)
                  .set(RUNS.GROUP_NAME, group)
                  .set(RUNS.JOB_TYPE, jobType)
                  .set(RUNS.NOTES, notes)
                  .set(RUNS.WORKFLOW_ID, workflowId)
                  .set(RUNS.ACTIVITY_ID, activityId)
                  .set(
                      RUNS.CONFIG,
                      config == null ? DSL.defaultValue(RUNS.CONFIG) : DSL.val(Json.jsonb(config)))
                  .set(RUNS.TAGS, tags == null ? DSL.defaultValue(RUNS.TAGS) : DSL.val(tags))
                  .set(
                      RUNS.LABELS,
                      labels == null ? DSL.defaultValue(RUNS.LABELS) : DSL.val(Json.jsonb(labels)));
          Record2<Long, Boolean> r;
          if (key == null) {
            r = insert.returningResult(RUNS.ID, DSL.inline(true)).fetchOne();
          } else {
            // Resume: the stored run goes back to running; it keeps its name, config, summary and
            // labels but the failure note of the attempt that ended (its time stays in resumed_at):
            // a resumed run that finishes must not read as failed. Where it runs now (group,
            // workflow, activity) is the resuming client's, when it says; its tags join the old
            // ones (up to the limit): a training stage a new pipeline resumes belongs to that one
            r =
                insert
                    .onConflictOnConstraint(Keys.RUNS_PROJECT_KEY_UQ)
                    .doUpdate()
                    .set(RUNS.STATE, RunState.RUNNING.wire())
                    .set(
                        RUNS.GROUP_NAME,
                        DSL.coalesce(DSL.excluded(RUNS.GROUP_NAME), RUNS.GROUP_NAME))
                    .set(
                        RUNS.WORKFLOW_ID,
                        DSL.coalesce(DSL.excluded(RUNS.WORKFLOW_ID), RUNS.WORKFLOW_ID))
                    .set(
                        RUNS.ACTIVITY_ID,
                        DSL.coalesce(DSL.excluded(RUNS.ACTIVITY_ID), RUNS.ACTIVITY_ID))
                    .set(RUNS.TAGS, tags == null ? RUNS.TAGS : joinedTags(tags))
                    .set(
                        RUNS.SUMMARY,
                        DSL.field("{0} - 'failure'", RUNS.SUMMARY.getDataType(), RUNS.SUMMARY))
                    .setNull(RUNS.FINISHED_AT)
                    .set(RUNS.HEARTBEAT_AT, DSL.currentOffsetDateTime())
                    .set(RUNS.UPDATED_AT, DSL.currentOffsetDateTime())
                    .set(
                        RUNS.RESUMED_AT,
                        DSL.arrayAppend(RUNS.RESUMED_AT, DSL.currentOffsetDateTime()))
                    .returningResult(RUNS.ID, DSL.field("xmax = 0", SQLDataType.BOOLEAN))
                    .fetchOne();
          }
          return new Created(fetch(tx, List.of(RUNS.ID.eq(r.value1()))).get(0), r.value2());
        });
  }

  /** The stored tags, then those of {@code added} not among them; the stored ones if too many. */
  private static Field<String[]> joinedTags(String[] added) {
    Field<String[]> fresh =
        DSL.field(
            "array(select t from unnest({0}::text[]) with ordinality as a(t, i)"
                + " where t <> all({1}) order by i)",
            RUNS.TAGS.getDataType(), DSL.val(added), RUNS.TAGS);
    Field<String[]> joined = DSL.field("{0} || {1}", RUNS.TAGS.getDataType(), RUNS.TAGS, fresh);
    return DSL.when(
            DSL.field("cardinality({0})", Integer.class, joined).le(Limits.MAX_TAGS), joined)
        .otherwise(RUNS.TAGS);
  }

  public Run get(long id) {
    List<Run> runs = fetch(db, List.of(RUNS.ID.eq(id)));
    if (runs.isEmpty()) {
      throw notFound(id);
    }
    return runs.get(0);
  }

  /** The runs of {@code ids}, in that order (one query for the runs, one for their metrics). */
  public List<Run> byIds(List<Long> ids) {
    Map<Long, Run> found = new HashMap<>();
    for (Run r : fetch(db, List.of(RUNS.ID.eq(DSL.any(ids.toArray(Long[]::new)))))) {
      found.put(r.id(), r);
    }
    List<Run> out = new ArrayList<>(ids.size());
    for (long id : ids) {
      Run r = found.get(id);
      if (r == null) {
        throw ApiErrors.notFound("ids", "no run with id " + id);
      }
      out.add(r);
    }
    return out;
  }

  public Run patch(long id, PatchRunRequest req) {
    UpdateSetMoreStep<RunsRecord> u =
        db.update(RUNS)
            .set(RUNS.UPDATED_AT, DSL.currentOffsetDateTime())
            .set(RUNS.HEARTBEAT_AT, DSL.currentOffsetDateTime());
    if (req.state() != null) {
      RunState s = RunState.parse(req.state());
      if (s == null) {
        throw ApiErrors.badRequest(
            "state", "unknown state '" + req.state() + "'; states are " + RunState.names());
      }
      u = u.set(RUNS.STATE, s.wire());
      u =
          s.terminal()
              ? u.set(RUNS.FINISHED_AT, DSL.coalesce(RUNS.FINISHED_AT, DSL.currentOffsetDateTime()))
              : u.setNull(RUNS.FINISHED_AT);
    }
    var summary = Check.boundedObject("summary", req.summary());
    if (summary != null) {
      u = u.set(RUNS.SUMMARY, merged(RUNS.SUMMARY, summary));
    }
    var config = Check.boundedObject("config", req.config());
    if (config != null) {
      u = u.set(RUNS.CONFIG, merged(RUNS.CONFIG, config));
    }
    var labels = Check.boundedObject("labels", req.labels());
    if (labels != null) {
      u = u.set(RUNS.LABELS, merged(RUNS.LABELS, labels));
    }
    if (req.notes() != null) {
      u = u.set(RUNS.NOTES, Check.text("notes", req.notes(), Limits.MAX_NOTES_LENGTH));
    }
    if (req.name() != null) {
      u = u.set(RUNS.NAME, Check.optional("name", req.name(), Limits.MAX_NAME_LENGTH));
    }
    if (req.tags() != null) {
      u = u.set(RUNS.TAGS, Check.tags("tags", req.tags()));
    }
    Condition fits = DSL.noCondition();
    if (summary != null) {
      fits = fits.and(mergedFits(RUNS.SUMMARY, summary));
    }
    if (config != null) {
      fits = fits.and(mergedFits(RUNS.CONFIG, config));
    }
    if (labels != null) {
      fits = fits.and(mergedFits(RUNS.LABELS, labels));
    }
    if (u.where(RUNS.ID.eq(id)).and(fits).execute() == 0) {
      if (!exists(id)) {
        throw notFound(id);
      }
      String field = summary != null ? "summary" : config != null ? "config" : "labels";
      throw ApiErrors.badRequest(
          field,
          "the merged "
              + field
              + " would be over "
              + Limits.MAX_OBJECT_BYTES
              + " bytes as JSON or "
              + Limits.MAX_OBJECT_KEYS
              + " keys (counted at every depth); nothing was changed");
    }
    return get(id);
  }

  /** Runs of a project matching {@code filter}, ordered by {@code sort} (see FilterParser). */
  public List<Run> list(String project, String filter, String sort, int limit, int offset) {
    if (filter != null && filter.length() > Limits.MAX_FILTER_LENGTH) {
      throw ApiErrors.badRequest(
          "filter", "filter is longer than " + Limits.MAX_FILTER_LENGTH + " characters");
    }
    Long projectId =
        db.select(PROJECTS.ID)
            .from(PROJECTS)
            .where(PROJECTS.NAME.eq(project))
            .fetchOne(PROJECTS.ID);
    if (projectId == null) {
      throw ApiErrors.notFound("project", "no project named '" + project + "'");
    }
    Condition where;
    List<org.jooq.SortField<?>> order;
    try {
      where = filters.compile(FilterParser.parse(filter));
    } catch (FilterException e) {
      throw ApiErrors.badRequest("filter", "filter: " + e.getMessage());
    }
    try {
      order = filters.sort(sort);
    } catch (FilterException e) {
      throw ApiErrors.badRequest("sort", "sort: " + e.getMessage());
    }
    List<Run> runs =
        db.select(columns())
            .from(RUNS)
            .join(PROJECTS)
            .on(PROJECTS.ID.eq(RUNS.PROJECT_ID))
            .where(RUNS.PROJECT_ID.eq(projectId))
            .and(where)
            .orderBy(order)
            .limit(limit)
            .offset(offset)
            .fetch(RunService::toRun);
    return withMetrics(db, runs);
  }

  /** Ids of the runs in {@code projectIds} matching {@code filter}, in {@code order}'s order. */
  public List<Long> searchIds(
      Collection<Long> projectIds,
      FilterExpr filter,
      List<FilterCompiler.SortKey> order,
      int limit,
      int offset) {
    return db.select(RUNS.ID)
        .from(RUNS)
        .where(RUNS.PROJECT_ID.in(projectIds))
        .and(filters.compile(filter))
        .orderBy(filters.sort(order))
        .limit(limit)
        .offset(offset)
        .fetch(RUNS.ID);
  }

  /** The state a run shows (crashed past the heartbeat timeout), for queries beyond this class. */
  public Field<String> displayedState() {
    return state;
  }

  /** {@code doc || patch}: the patch's keys replace the stored ones (a shallow merge). */
  public static Field<JSONB> merged(Field<JSONB> doc, JsonNode patch) {
    return DSL.field("{0} || {1}", doc.getDataType(), doc, DSL.val(Json.jsonb(patch)));
  }

  /**
   * The stored object merged with {@code patch} stays within {@link Limits#MAX_OBJECT_BYTES} and
   * {@link Limits#MAX_OBJECT_KEYS} keys counted at every depth, as a single request is: many small
   * patches must not build what one large one may not. (In strict mode {@code $.**} visits every
   * item once, arrays' elements included, and {@code keyvalue()} yields an object's pairs.)
   */
  private static Condition mergedFits(Field<JSONB> doc, JsonNode patch) {
    Field<JSONB> m = merged(doc, patch);
    return DSL.condition(
        "octet_length(({0})::text) <= {1} and (select count(*) from jsonb_path_query({0},"
            + " 'strict $.** ? (@.type() == \"object\").keyvalue()')) <= {2}",
        m, DSL.val(Limits.MAX_OBJECT_BYTES), DSL.val(Limits.MAX_OBJECT_KEYS));
  }

  public boolean exists(long id) {
    return db.fetchExists(RUNS, RUNS.ID.eq(id));
  }

  public static io.javalin.http.HttpResponseException notFound(long id) {
    return ApiErrors.notFound("id", "no run with id " + id);
  }

  private List<Run> fetch(DSLContext ctx, Collection<? extends Condition> where) {
    List<Run> runs =
        ctx.select(columns())
            .from(RUNS)
            .join(PROJECTS)
            .on(PROJECTS.ID.eq(RUNS.PROJECT_ID))
            .where(where)
            .fetch(RunService::toRun);
    return withMetrics(ctx, runs);
  }

  private List<SelectField<?>> columns() {
    return List.of(
        RUNS.ID,
        PROJECTS.NAME,
        RUNS.RUN_KEY,
        RUNS.NAME,
        RUNS.GROUP_NAME,
        RUNS.JOB_TYPE,
        state.as("displayed_state"),
        RUNS.CONFIG,
        RUNS.SUMMARY,
        RUNS.TAGS,
        RUNS.LABELS,
        RUNS.NOTES,
        RUNS.WORKFLOW_ID,
        RUNS.ACTIVITY_ID,
        RUNS.CREATED_AT,
        RUNS.UPDATED_AT,
        RUNS.FINISHED_AT,
        RUNS.HEARTBEAT_AT,
        RUNS.RESUMED_AT);
  }

  private static Run toRun(Record r) {
    return new Run(
        r.get(RUNS.ID),
        r.get(PROJECTS.NAME),
        r.get(RUNS.RUN_KEY),
        r.get(RUNS.NAME),
        r.get(RUNS.GROUP_NAME),
        r.get(RUNS.JOB_TYPE),
        r.get("displayed_state", String.class),
        Json.tree(r.get(RUNS.CONFIG)),
        Json.tree(r.get(RUNS.SUMMARY)),
        Arrays.asList(r.get(RUNS.TAGS)),
        Json.tree(r.get(RUNS.LABELS)),
        r.get(RUNS.NOTES),
        r.get(RUNS.WORKFLOW_ID),
        r.get(RUNS.ACTIVITY_ID),
        r.get(RUNS.CREATED_AT),
        r.get(RUNS.UPDATED_AT),
        r.get(RUNS.FINISHED_AT),
        r.get(RUNS.HEARTBEAT_AT),
        Arrays.asList(r.get(RUNS.RESUMED_AT)),
        Map.of());
  }

  /** Attaches each run's series summaries (one query for the whole page). */
  private static List<Run> withMetrics(DSLContext ctx, List<Run> runs) {
    if (runs.isEmpty()) {
      return runs;
    }
    Map<Long, Map<String, SeriesSummary>> byRun = new HashMap<>();
    ctx.select(METRIC_SUMMARIES.RUN_ID, METRIC_SUMMARIES.KEY, MetricReader.SUMMARY)
        .from(METRIC_SUMMARIES)
        .where(METRIC_SUMMARIES.RUN_ID.in(runs.stream().map(Run::id).toList()))
        .orderBy(METRIC_SUMMARIES.RUN_ID, METRIC_SUMMARIES.KEY)
        .forEach(
            r ->
                byRun
                    .computeIfAbsent(r.value1(), k -> new LinkedHashMap<>())
                    .put(r.value2(), r.value3()));
    List<Run> out = new ArrayList<>(runs.size());
    for (Run run : runs) {
      out.add(run.withMetrics(byRun.getOrDefault(run.id(), Map.of())));
    }
    return out;
  }

  private static long projectId(DSLContext tx, String name) {
    Long id = ProjectService.create(tx, name);
    if (id != null) {
      return id;
    }
    return tx.select(PROJECTS.ID)
        .from(PROJECTS)
        .where(PROJECTS.NAME.eq(name))
        .fetchSingle(PROJECTS.ID);
  }
}
