package io.liandan.tracker.metric;

import static io.liandan.tracker.db.Tables.METRIC_POINTS;
import static io.liandan.tracker.db.Tables.METRIC_ROLLUPS;
import static io.liandan.tracker.db.Tables.METRIC_SUMMARIES;
import static io.liandan.tracker.db.Tables.RUNS;

import io.liandan.tracker.Limits;
import io.liandan.tracker.db.Keys;
import io.liandan.tracker.run.RunService;
import io.liandan.tracker.web.ApiErrors;
import io.liandan.tracker.web.Check;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.CommonTableExpression;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Record1;
import org.jooq.Record3;
import org.jooq.Record4;
import org.jooq.Record5;
import org.jooq.Record8;
import org.jooq.Select;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Metric history: batched idempotent writes that keep metric_summaries and metric_rollups current,
 * and downsampled reads.
 *
 * <p>Write: one SQL statement per batch (one round trip). The points travel as four arrays (key,
 * step, value, time) unnested into an {@code INSERT … SELECT … ON CONFLICT (run_id, key, step) DO
 * UPDATE}: four bind values whatever the batch size (a VALUES list would need 4 per point, past
 * PostgreSQL's 32,767 bind limit at 10,000 points). Data-modifying CTEs in the same statement
 * refresh the run's heartbeat (and lock its row, so batches of one run apply in order), insert the
 * points (duplicates inside a batch: the later one wins; a stored point is rewritten only when its
 * value changes), merge the batch's aggregates into metric_summaries, and merge each rollup
 * bucket's min/max point (the finest width from the points, each coarser one from the level below).
 * Only when a re-sent point changed a stored value are that series' summary and the rollup buckets
 * holding the changed points rebuilt from history (more statements in the same transaction): a
 * minimum or maximum cannot be un-merged.
 *
 * <p>Read: downsampling runs in SQL (see {@link #series}).
 */
public final class MetricService {
  private static final Field<Double> NAN = DSL.field("'NaN'::float8", SQLDataType.DOUBLE);

  /** Bucket widths of metric_rollups, in steps (V3__create_metric_rollups.sql): ×16 per level. */
  static final List<Integer> WIDTHS = List.of(16, 256, 4096, 65536);

  private static final int LEVEL_SHIFT = 4;

  private final DSLContext db;
  private final ExecutorService readers = readers();
  private final ReadGate gate;

  public record Logged(int received, long inserted, long updated) {}

  public MetricService(DSLContext db) {
    this(
        db,
        new ReadGate(
            Limits.MAX_READ_POINTS_IN_FLIGHT, Duration.ofSeconds(Limits.READ_WAIT_SECONDS)));
  }

  public MetricService(DSLContext db, ReadGate gate) {
    this.db = db;
    this.gate = gate;
  }

  /** What bounds the points all series reads of this service hold at once. */
  public ReadGate gate() {
    return gate;
  }

  public Logged log(long runId, MetricBatch batch) {
    List<MetricBatch.Point> points = batch.points();
    if (points == null) {
      throw ApiErrors.badRequest("points", "points is required");
    }
    int n = points.size();
    if (n > Limits.MAX_POINTS_PER_BATCH) {
      throw ApiErrors.tooLarge(
          "points",
          "batch has "
              + n
              + " points; at most "
              + Limits.MAX_POINTS_PER_BATCH
              + " per request: split it");
    }
    String[] keys = new String[n];
    Long[] steps = new Long[n];
    Double[] values = new Double[n];
    OffsetDateTime[] times = new OffsetDateTime[n];
    for (int i = 0; i < n; i++) {
      MetricBatch.Point p = points.get(i);
      String at = "points[" + i + "]";
      if (p == null) {
        throw ApiErrors.badRequest(at, at + " is null");
      }
      keys[i] = Check.required(at + ".key", p.key(), Limits.MAX_KEY_LENGTH);
      if (p.step() == null) {
        throw ApiErrors.badRequest(at + ".step", at + ".step is required");
      }
      if (Math.abs(p.step()) > Limits.MAX_ABS_STEP) {
        throw ApiErrors.badRequest(at + ".step", at + ".step is outside ±2^53");
      }
      steps[i] = p.step();
      if (p.value() == null) {
        throw ApiErrors.badRequest(at + ".value", at + ".value is required");
      }
      values[i] = p.value();
      times[i] = time(at + ".time", p.time());
    }
    if (n == 0) {
      if (!db.fetchExists(RUNS, RUNS.ID.eq(runId))) {
        throw RunService.notFound(runId);
      }
      return new Logged(0, 0, 0);
    }
    return db.transactionResult(cfg -> write(cfg.dsl(), runId, keys, steps, values, times));
  }

  private Logged write(
      DSLContext tx,
      long runId,
      String[] keys,
      Long[] steps,
      Double[] values,
      OffsetDateTime[] times) {
    var P = METRIC_POINTS;
    var S = METRIC_SUMMARIES;

    CommonTableExpression<Record1<Long>> hb =
        DSL.name("hb")
            .as(
                DSL.update(RUNS)
                    .set(RUNS.HEARTBEAT_AT, DSL.currentOffsetDateTime())
                    .set(RUNS.UPDATED_AT, DSL.currentOffsetDateTime())
                    .where(RUNS.ID.eq(runId))
                    .returningResult(RUNS.ID));

    Table<?> u =
        DSL.table(
            "unnest({0}, {1}, {2}, {3}) with ordinality as u(key, step, value, wall_time, ord)",
            DSL.val(keys, SQLDataType.CLOB.array()),
            DSL.val(steps, SQLDataType.BIGINT.array()),
            DSL.val(values, SQLDataType.DOUBLE.array()),
            DSL.val(times, SQLDataType.TIMESTAMPWITHTIMEZONE.array()));
    Field<String> uKey = DSL.field(DSL.name("u", "key"), String.class);
    Field<Long> uStep = DSL.field(DSL.name("u", "step"), Long.class);
    Field<Double> uValue = DSL.field(DSL.name("u", "value"), Double.class);
    Field<OffsetDateTime> uTime = DSL.field(DSL.name("u", "wall_time"), OffsetDateTime.class);
    Field<Long> uOrd = DSL.field(DSL.name("u", "ord"), Long.class);

    // the later of two points with the same (key, step) in one batch wins
    CommonTableExpression<Record4<String, Long, Double, OffsetDateTime>> pts =
        DSL.name("pts")
            .as(
                DSL.selectDistinct(uKey, uStep, uValue, uTime)
                    .on(uKey, uStep)
                    .from(u)
                    .orderBy(uKey, uStep, uOrd.desc()));
    Field<String> ptsKey = pts.field(uKey);
    Field<Long> ptsStep = pts.field(uStep);

    Field<Boolean> inserted = DSL.field("(xmax = 0)", SQLDataType.BOOLEAN).as("inserted");
    CommonTableExpression<Record4<String, Long, Double, Boolean>> up =
        DSL.name("up")
            .as(
                DSL.insertInto(P, P.RUN_ID, P.KEY, P.STEP, P.VALUE, P.WALL_TIME)
                    .select(
                        DSL.select(
                                hb.field(RUNS.ID),
                                ptsKey,
                                ptsStep,
                                pts.field(uValue),
                                DSL.coalesce(pts.field(uTime), DSL.currentOffsetDateTime()))
                            .from(pts)
                            .crossJoin(hb)
                            .orderBy(ptsKey, ptsStep))
                    .onConflictOnConstraint(Keys.METRIC_POINTS_PK)
                    .doUpdate()
                    .set(P.VALUE, DSL.excluded(P.VALUE))
                    .set(P.WALL_TIME, DSL.excluded(P.WALL_TIME))
                    .where(P.VALUE.isDistinctFrom(DSL.excluded(P.VALUE)))
                    .returningResult(P.KEY, P.STEP, P.VALUE, inserted));
    Field<String> upKey = up.field(P.KEY);
    Field<Long> upStep = up.field(P.STEP);
    Field<Double> upValue = up.field(P.VALUE);
    Field<Boolean> upInserted = up.field(inserted);

    Field<String> aKey = upKey.as("key");
    Field<Long> aFirstStep = DSL.min(upStep).as("first_step");
    Field<Double> aFirstValue =
        DSL.arrayGet(DSL.arrayAgg(upValue).orderBy(upStep.asc()), 1).as("first_value");
    Field<Long> aLastStep = DSL.max(upStep).as("last_step");
    Field<Double> aLastValue =
        DSL.arrayGet(DSL.arrayAgg(upValue).orderBy(upStep.desc()), 1).as("last_value");
    Field<Double> aMin = DSL.min(upValue).filterWhere(upValue.ne(NAN)).as("min_value");
    Field<Double> aMax = DSL.max(upValue).filterWhere(upValue.ne(NAN)).as("max_value");
    Field<Integer> aAdded = DSL.count().filterWhere(upInserted).as("added");
    Field<Integer> aChanged = DSL.count().filterWhere(DSL.not(upInserted)).as("changed");
    var agg =
        DSL.name("agg")
            .as(
                DSL.select(
                        aKey,
                        aFirstStep,
                        aFirstValue,
                        aLastStep,
                        aLastValue,
                        aMin,
                        aMax,
                        aAdded,
                        aChanged)
                    .from(up)
                    .groupBy(upKey));

    var sm =
        DSL.name("sm")
            .as(
                DSL.insertInto(
                        S,
                        S.RUN_ID,
                        S.KEY,
                        S.FIRST_STEP,
                        S.FIRST_VALUE,
                        S.LAST_STEP,
                        S.LAST_VALUE,
                        S.MIN_VALUE,
                        S.MAX_VALUE,
                        S.COUNT)
                    .select(
                        DSL.select(
                                DSL.val(runId),
                                agg.field(aKey),
                                agg.field(aFirstStep),
                                agg.field(aFirstValue),
                                agg.field(aLastStep),
                                agg.field(aLastValue),
                                agg.field(aMin),
                                agg.field(aMax),
                                agg.field(aAdded).cast(SQLDataType.BIGINT))
                            .from(agg)
                            .orderBy(agg.field(aKey)))
                    .onConflictOnConstraint(Keys.METRIC_SUMMARIES_PK)
                    .doUpdate()
                    .set(
                        S.FIRST_VALUE,
                        DSL.when(
                                DSL.excluded(S.FIRST_STEP).le(S.FIRST_STEP),
                                DSL.excluded(S.FIRST_VALUE))
                            .otherwise(S.FIRST_VALUE))
                    .set(S.FIRST_STEP, DSL.least(S.FIRST_STEP, DSL.excluded(S.FIRST_STEP)))
                    .set(
                        S.LAST_VALUE,
                        DSL.when(
                                DSL.excluded(S.LAST_STEP).ge(S.LAST_STEP),
                                DSL.excluded(S.LAST_VALUE))
                            .otherwise(S.LAST_VALUE))
                    .set(S.LAST_STEP, DSL.greatest(S.LAST_STEP, DSL.excluded(S.LAST_STEP)))
                    .set(S.MIN_VALUE, DSL.least(S.MIN_VALUE, DSL.excluded(S.MIN_VALUE)))
                    .set(S.MAX_VALUE, DSL.greatest(S.MAX_VALUE, DSL.excluded(S.MAX_VALUE)))
                    .set(S.COUNT, S.COUNT.plus(DSL.excluded(S.COUNT)))
                    .set(S.UPDATED_AT, DSL.currentOffsetDateTime())
                    .returningResult(S.KEY));

    List<CommonTableExpression<?>> rollups = rollupMerge(runId, up, upKey, upStep, upValue);

    Record r =
        tx.with(hb)
            .with(pts)
            .with(up)
            .with(agg)
            .with(sm)
            .with(rollups)
            .select(
                DSL.field(DSL.selectCount().from(hb)).as("found"),
                DSL.field(
                        DSL.select(DSL.coalesce(DSL.sum(agg.field(aAdded)), BigDecimal.ZERO))
                            .from(agg))
                    .as("added"),
                DSL.field(
                        DSL.select(DSL.coalesce(DSL.sum(agg.field(aChanged)), BigDecimal.ZERO))
                            .from(agg))
                    .as("changed"),
                DSL.field(
                        DSL.select(DSL.arrayAgg(upKey).orderBy(upKey, upStep))
                            .from(up)
                            .where(DSL.not(upInserted)))
                    .as("changed_keys"),
                DSL.field(
                        DSL.select(DSL.arrayAgg(upStep).orderBy(upKey, upStep))
                            .from(up)
                            .where(DSL.not(upInserted)))
                    .as("changed_steps"))
            .fetchOne();
    if (r.get("found", Integer.class) == 0) {
      throw RunService.notFound(runId);
    }
    String[] changedKeys = r.get("changed_keys", String[].class);
    if (changedKeys != null) {
      Long[] changedSteps = r.get("changed_steps", Long[].class);
      for (String key : new java.util.TreeSet<>(List.of(changedKeys))) {
        recompute(tx, runId, key);
      }
      rebuildRollups(tx, runId, changedKeys, changedSteps);
    }
    return new Logged(keys.length, r.get("added", Long.class), r.get("changed", Long.class));
  }

  /** After a stored value changed: the series' summary from its whole history. */
  private static void recompute(DSLContext tx, long runId, String key) {
    var P = METRIC_POINTS;
    var S = METRIC_SUMMARIES;
    var series = P.RUN_ID.eq(runId).and(P.KEY.eq(key));
    Record5<Long, Long, Double, Double, Integer> a =
        tx.select(
                DSL.min(P.STEP),
                DSL.max(P.STEP),
                DSL.min(P.VALUE).filterWhere(P.VALUE.ne(NAN)),
                DSL.max(P.VALUE).filterWhere(P.VALUE.ne(NAN)),
                DSL.count())
            .from(P)
            .where(series)
            .fetchSingle();
    Double first =
        tx.select(P.VALUE).from(P).where(series.and(P.STEP.eq(a.value1()))).fetchSingle(P.VALUE);
    Double last =
        tx.select(P.VALUE).from(P).where(series.and(P.STEP.eq(a.value2()))).fetchSingle(P.VALUE);
    tx.update(S)
        .set(S.FIRST_STEP, a.value1())
        .set(S.FIRST_VALUE, first)
        .set(S.LAST_STEP, a.value2())
        .set(S.LAST_VALUE, last)
        .set(S.MIN_VALUE, a.value3())
        .set(S.MAX_VALUE, a.value4())
        .set(S.COUNT, a.value5().longValue())
        .set(S.UPDATED_AT, DSL.currentOffsetDateTime())
        .where(S.RUN_ID.eq(runId).and(S.KEY.eq(key)))
        .execute();
  }

  /**
   * CTEs that merge the batch's min/max point per rollup bucket into metric_rollups: the finest
   * width aggregated from the written points, each coarser width from the level below (a minimum of
   * minimums is exact), all upserted by the last CTE.
   */
  private static List<CommonTableExpression<?>> rollupMerge(
      long runId, Table<?> up, Field<String> upKey, Field<Long> upStep, Field<Double> upValue) {
    var R = METRIC_ROLLUPS;
    List<CommonTableExpression<?>> ctes = new ArrayList<>();
    Select<Record8<Long, String, Integer, Long, Long, Double, Long, Double>> rows = null;
    Field<Long> finest =
        DSL.floor(upStep.cast(SQLDataType.DOUBLE).div(DSL.inline((double) WIDTHS.get(0))))
            .cast(SQLDataType.BIGINT);
    CommonTableExpression<?> level =
        DSL.name("r0")
            .as(
                DSL.select(
                        upKey.as("key"),
                        finest.as("bucket"),
                        DSL.min(DSL.array(upValue, upStep.cast(SQLDataType.DOUBLE))).as("lo"),
                        DSL.max(DSL.array(upValue, upStep.neg().cast(SQLDataType.DOUBLE))).as("hi"))
                    .from(up)
                    .groupBy(upKey, finest));
    for (int i = 0; i < WIDTHS.size(); i++) {
      if (i > 0) {
        Field<Long> coarser = DSL.shr(level.field("bucket", Long.class), DSL.inline(LEVEL_SHIFT));
        level =
            DSL.name("r" + i)
                .as(
                    DSL.select(
                            level.field("key", String.class).as("key"),
                            coarser.as("bucket"),
                            DSL.min(level.field("lo", Double[].class)).as("lo"),
                            DSL.max(level.field("hi", Double[].class)).as("hi"))
                        .from(level)
                        .groupBy(level.field("key"), coarser));
      }
      ctes.add(level);
      Field<Double[]> lo = level.field("lo", Double[].class);
      Field<Double[]> hi = level.field("hi", Double[].class);
      Select<Record8<Long, String, Integer, Long, Long, Double, Long, Double>> these =
          DSL.select(
                  DSL.val(runId),
                  level.field("key", String.class),
                  DSL.inline(WIDTHS.get(i)),
                  level.field("bucket", Long.class),
                  DSL.arrayGet(lo, 2).cast(SQLDataType.BIGINT),
                  DSL.arrayGet(lo, 1),
                  DSL.arrayGet(hi, 2).neg().cast(SQLDataType.BIGINT),
                  DSL.arrayGet(hi, 1))
              .from(level);
      rows = rows == null ? these : rows.unionAll(these);
    }
    ctes.add(
        DSL.name("ru")
            .as(
                DSL.insertInto(
                        R,
                        R.RUN_ID,
                        R.KEY,
                        R.WIDTH,
                        R.BUCKET,
                        R.MIN_STEP,
                        R.MIN_VALUE,
                        R.MAX_STEP,
                        R.MAX_VALUE)
                    .select(rows)
                    .onConflictOnConstraint(Keys.METRIC_ROLLUPS_PK)
                    .doUpdate()
                    .set(
                        R.MIN_VALUE,
                        DSL.when(lower(), DSL.excluded(R.MIN_VALUE)).otherwise(R.MIN_VALUE))
                    .set(
                        R.MIN_STEP,
                        DSL.when(lower(), DSL.excluded(R.MIN_STEP)).otherwise(R.MIN_STEP))
                    .set(
                        R.MAX_VALUE,
                        DSL.when(higher(), DSL.excluded(R.MAX_VALUE)).otherwise(R.MAX_VALUE))
                    .set(
                        R.MAX_STEP,
                        DSL.when(higher(), DSL.excluded(R.MAX_STEP)).otherwise(R.MAX_STEP))
                    .returningResult(R.KEY)));
    return ctes;
  }

  /** The rollup buckets holding a changed point, rebuilt from history (one statement). */
  private static void rebuildRollups(DSLContext tx, long runId, String[] keys, Long[] steps) {
    java.util.LinkedHashSet<List<Object>> buckets = new java.util.LinkedHashSet<>();
    for (int i = 0; i < keys.length; i++) {
      for (int width : WIDTHS) {
        buckets.add(List.of(keys[i], width, Math.floorDiv(steps[i], width)));
      }
    }
    String[] k = new String[buckets.size()];
    Integer[] w = new Integer[buckets.size()];
    Long[] b = new Long[buckets.size()];
    int i = 0;
    for (List<Object> bucket : buckets) {
      k[i] = (String) bucket.get(0);
      w[i] = (Integer) bucket.get(1);
      b[i++] = (Long) bucket.get(2);
    }
    var P = METRIC_POINTS;
    var R = METRIC_ROLLUPS;
    Table<?> c =
        DSL.table(
            "unnest({0}, {1}, {2}) as c(key, width, bucket)",
            DSL.val(k, SQLDataType.CLOB.array()),
            DSL.val(w, SQLDataType.INTEGER.array()),
            DSL.val(b, SQLDataType.BIGINT.array()));
    Field<String> cKey = DSL.field(DSL.name("c", "key"), String.class);
    Field<Integer> cWidth = DSL.field(DSL.name("c", "width"), Integer.class);
    Field<Long> cBucket = DSL.field(DSL.name("c", "bucket"), Long.class);
    Field<Long> start = cBucket.times(cWidth.cast(SQLDataType.BIGINT));
    Field<Double[]> lowest = DSL.min(DSL.array(P.VALUE, P.STEP.cast(SQLDataType.DOUBLE)));
    Field<Double[]> highest = DSL.max(DSL.array(P.VALUE, P.STEP.neg().cast(SQLDataType.DOUBLE)));
    tx.insertInto(
            R, R.RUN_ID, R.KEY, R.WIDTH, R.BUCKET, R.MIN_STEP, R.MIN_VALUE, R.MAX_STEP, R.MAX_VALUE)
        .select(
            DSL.select(
                    DSL.val(runId),
                    cKey,
                    cWidth,
                    cBucket,
                    DSL.arrayGet(lowest, 2).cast(SQLDataType.BIGINT),
                    DSL.arrayGet(lowest, 1),
                    DSL.arrayGet(highest, 2).neg().cast(SQLDataType.BIGINT),
                    DSL.arrayGet(highest, 1))
                .from(c)
                .join(P)
                .on(P.RUN_ID.eq(runId))
                .and(P.KEY.eq(cKey))
                .and(P.STEP.ge(start))
                .and(P.STEP.lt(start.plus(cWidth.cast(SQLDataType.BIGINT))))
                .groupBy(cKey, cWidth, cBucket)
                .orderBy(cKey, cWidth, cBucket))
        .onConflictOnConstraint(Keys.METRIC_ROLLUPS_PK)
        .doUpdate()
        .set(R.MIN_STEP, DSL.excluded(R.MIN_STEP))
        .set(R.MIN_VALUE, DSL.excluded(R.MIN_VALUE))
        .set(R.MAX_STEP, DSL.excluded(R.MAX_STEP))
        .set(R.MAX_VALUE, DSL.excluded(R.MAX_VALUE))
        .execute();
  }

  /** The batch's minimum point comes before the stored one (smaller value, then smaller step). */
  private static org.jooq.Condition lower() {
    var R = METRIC_ROLLUPS;
    return DSL.row(DSL.excluded(R.MIN_VALUE), DSL.excluded(R.MIN_STEP))
        .lt(DSL.row(R.MIN_VALUE, R.MIN_STEP));
  }

  /** The batch's maximum point beats the stored one (larger value, then smaller step). */
  private static org.jooq.Condition higher() {
    var R = METRIC_ROLLUPS;
    return DSL.row(DSL.excluded(R.MAX_VALUE), DSL.excluded(R.MAX_STEP).neg())
        .gt(DSL.row(R.MAX_VALUE, R.MAX_STEP.neg()));
  }

  /**
   * The series of {@code key} in run {@code runId}, at most {@code maxPoints} points.
   *
   * <p>Downsampling happens in SQL. The step range [first, last] (from metric_summaries) is cut
   * into {@code b = (maxPoints - 2) / 2} buckets; each bucket contributes its minimum and its
   * maximum point ({@code min(ARRAY[value, step])} / {@code max(ARRAY[value, -step])}: ties go to
   * the smaller step, NaN counts as the largest value so a NaN spike survives), and the first and
   * last points always come along. So the result is deterministic, at most {@code maxPoints}
   * points, and every spike survives. The buckets come from metric_rollups when a rollup width has
   * at least {@code b} buckets over the range (the coarsest such width; its buckets grouped into
   * {@code b} equal runs, a few thousand rows to read whatever the history); otherwise from the
   * points themselves in equal step ranges (an index-only range scan of a short series). A series
   * with no more than {@code maxPoints} points comes back whole.
   */
  public Series series(long runId, String key, int maxPoints) {
    return series(runId, key, maxPoints, StepRange.ALL);
  }

  /**
   * {@link #series(long, String, int)} over the points with steps in {@code range} only (a zoomed
   * chart): the same downsampling between the range's first and last stored points, which are
   * always kept; the whole range when it holds no more than {@code maxPoints} points. {@code total}
   * stays the series' count.
   */
  public Series series(long runId, String key, int maxPoints, StepRange range) {
    return series(runId, List.of(key), maxPoints, range, false).get(0);
  }

  /** Which of the asked runs exist, and the summaries of their series of the asked keys. */
  private record Stored(Set<Long> runs, Map<String, SeriesSummary> series) {
    SeriesSummary of(long runId, String key) {
      return series.get(runId + "/" + key);
    }
  }

  /**
   * One query for the runs of {@code runIds} that exist and the metric_summaries rows of every
   * (run, key) pair of {@code runIds} × {@code keys} (a pair with no points has none). Both lists
   * travel as one array bind value each.
   */
  private Stored stored(List<Long> runIds, List<String> keys) {
    var S = METRIC_SUMMARIES;
    Set<Long> runs = new HashSet<>();
    Map<String, SeriesSummary> series = new HashMap<>();
    db.select(RUNS.ID, S.KEY, S.FIRST_STEP, S.FIRST_VALUE, S.LAST_STEP, S.LAST_VALUE, S.COUNT)
        .from(RUNS)
        .leftJoin(S)
        .on(S.RUN_ID.eq(RUNS.ID).and(S.KEY.eq(DSL.any(keys.toArray(String[]::new)))))
        .where(RUNS.ID.eq(DSL.any(runIds.toArray(Long[]::new))))
        .forEach(
            r -> {
              runs.add(r.value1());
              if (r.value2() != null) {
                series.put(
                    r.value1() + "/" + r.value2(),
                    new SeriesSummary(
                        r.value3(), r.value4(), r.value5(), r.value6(), null, null, r.value7()));
              }
            });
    return new Stored(runs, series);
  }

  /** One series, downsampled as {@link #series(long, String, int)} says, given its summary. */
  private Series downsample(
      long runId, String key, SeriesSummary s, int maxPoints, StepRange range) {
    if (s == null) {
      return new Series(key, runId, 0, List.of());
    }
    long total = s.count();
    var P = METRIC_POINTS;
    var series = P.RUN_ID.eq(runId).and(P.KEY.eq(key));
    long lo = s.firstStep();
    long hi = s.lastStep();
    double loValue = s.first();
    double hiValue = s.last();
    boolean whole = total <= maxPoints;
    if (range.narrows(lo, hi)) {
      // the first and last stored points inside the range (two index probes), and whether it
      // holds more than maxPoints (a count that stops there)
      var inRange = series.and(P.STEP.between(Math.max(lo, range.lo()), Math.min(hi, range.hi())));
      var first =
          db.select(P.STEP, P.VALUE).from(P).where(inRange).orderBy(P.STEP).limit(1).fetchOne();
      if (first == null) {
        return new Series(key, runId, total, List.of());
      }
      var last =
          db.select(P.STEP, P.VALUE)
              .from(P)
              .where(inRange)
              .orderBy(P.STEP.desc())
              .limit(1)
              .fetchOne();
      lo = first.value1();
      loValue = first.value2();
      hi = last.value1();
      hiValue = last.value2();
      whole =
          db.fetchCount(db.selectOne().from(P).where(inRange).limit(maxPoints + 1)) <= maxPoints;
    }
    if (whole) {
      List<Series.Point> all =
          db.select(P.STEP, P.VALUE)
              .from(P)
              .where(series)
              .and(P.STEP.between(lo, hi))
              .orderBy(P.STEP)
              .fetch(r -> new Series.Point(r.value1(), r.value2()));
      return new Series(key, runId, total, all);
    }
    TreeMap<Long, Double> keep = new TreeMap<>();
    int buckets = (maxPoints - 2) / 2;
    Integer width = rollupWidth(lo, hi, buckets);
    if (buckets > 0 && width != null) {
      // from the rollups: the level's buckets in [lo, hi] grouped into `buckets` equal runs
      var R = METRIC_ROLLUPS;
      long first = Math.floorDiv(lo, width);
      long last = Math.floorDiv(hi, width);
      double scale = buckets / ((double) last - first + 1);
      Field<Long> group =
          DSL.floor(
                  R.BUCKET
                      .minus(DSL.inline(first))
                      .cast(SQLDataType.DOUBLE)
                      .times(DSL.inline(scale)))
              .cast(SQLDataType.BIGINT);
      for (Record3<Long, Double[], Double[]> r :
          db.select(
                  group,
                  DSL.min(DSL.array(R.MIN_VALUE, R.MIN_STEP.cast(SQLDataType.DOUBLE))),
                  DSL.max(DSL.array(R.MAX_VALUE, R.MAX_STEP.neg().cast(SQLDataType.DOUBLE))))
              .from(R)
              .where(R.RUN_ID.eq(runId))
              .and(R.KEY.eq(key))
              .and(R.WIDTH.eq(width))
              .and(R.BUCKET.between(first, last))
              .groupBy(group)) {
        // a range's edge buckets reach past it: their extremes outside [lo, hi] are dropped
        keepWithin(keep, lo, hi, r.value2()[1].longValue(), r.value2()[0]);
        keepWithin(keep, lo, hi, -r.value3()[1].longValue(), r.value3()[0]);
      }
    } else if (buckets > 0) {
      double scale = buckets / ((double) hi - lo + 1);
      // inlined: server-computed numbers, so that GROUP BY matches the select list's expression
      Field<Long> bucket =
          DSL.floor(P.STEP.minus(DSL.inline(lo)).cast(SQLDataType.DOUBLE).times(DSL.inline(scale)))
              .cast(SQLDataType.BIGINT);
      Field<Double> stepAsDouble = P.STEP.cast(SQLDataType.DOUBLE);
      for (Record3<Long, Double[], Double[]> r :
          db.select(
                  bucket,
                  DSL.min(DSL.array(P.VALUE, stepAsDouble)),
                  DSL.max(DSL.array(P.VALUE, P.STEP.neg().cast(SQLDataType.DOUBLE))))
              .from(P)
              .where(series)
              .and(P.STEP.between(lo, hi))
              .groupBy(bucket)) {
        keep.put(r.value2()[1].longValue(), r.value2()[0]);
        keep.put(-r.value3()[1].longValue(), r.value3()[0]);
      }
    }
    keep.put(lo, loValue);
    keep.put(hi, hiValue);
    List<Series.Point> points = new ArrayList<>(keep.size());
    keep.forEach((step, value) -> points.add(new Series.Point(step, value)));
    return new Series(key, runId, total, points);
  }

  /**
   * {@link #series(long, String, int, StepRange)}, with {@code withTimes} each kept point's wall
   * time too.
   */
  public Series series(long runId, String key, int maxPoints, StepRange range, boolean withTimes) {
    return series(runId, List.of(key), maxPoints, range, withTimes).get(0);
  }

  /**
   * The series with each kept point's wall time: one lookup of at most {@code maxPoints}
   * primary-key rows, whichever way the points were chosen.
   */
  private Series withTimes(Series s) {
    long runId = s.runId();
    String key = s.key();
    var P = METRIC_POINTS;
    Long[] steps = s.points().stream().map(Series.Point::step).toArray(Long[]::new);
    Map<Long, OffsetDateTime> at =
        db.select(P.STEP, P.WALL_TIME)
            .from(P)
            .where(P.RUN_ID.eq(runId))
            .and(P.KEY.eq(key))
            .and(P.STEP.eq(DSL.any(steps)))
            .fetchMap(P.STEP, P.WALL_TIME);
    List<Long> times = new ArrayList<>(steps.length);
    for (Long step : steps) {
      times.add(at.get(step).toInstant().toEpochMilli());
    }
    return new Series(key, runId, s.total(), s.points(), times);
  }

  private static void keepWithin(
      TreeMap<Long, Double> keep, long lo, long hi, long step, double v) {
    if (step >= lo && step <= hi) {
      keep.put(step, v);
    }
  }

  /** The coarsest rollup width with at least {@code buckets} buckets over [lo, hi], or null. */
  static Integer rollupWidth(long lo, long hi, int buckets) {
    for (int i = WIDTHS.size() - 1; i >= 0; i--) {
      int width = WIDTHS.get(i);
      if (Math.floorDiv(hi, width) - Math.floorDiv(lo, width) + 1 >= buckets) {
        return width;
      }
    }
    return null;
  }

  /** The same key for many runs (the compare view); 404 naming the first unknown run. */
  public List<Series> compare(
      List<Long> runIds, String key, int maxPoints, StepRange range, boolean withTimes) {
    return compare(runIds, List.of(key), maxPoints, range, withTimes).get(0);
  }

  /**
   * Several keys of one run (the run page's charts, in one request): each series as {@link
   * #series(long, String, int, StepRange, boolean)} returns it, in the order of {@code keys}; one
   * query finds the run and every key's summary. A key the run never logged comes back empty.
   */
  public List<Series> series(
      long runId, List<String> keys, int maxPoints, StepRange range, boolean withTimes) {
    Stored stored = stored(List.of(runId), keys);
    if (stored.runs().isEmpty()) {
      throw RunService.notFound(runId);
    }
    return read(stored, List.of(runId), keys, maxPoints, range, withTimes).stream()
        .map(runs -> runs.get(0))
        .toList();
  }

  /**
   * Several keys for many runs (the compare view's charts, in one request): for each key, in the
   * order of {@code keys}, every run's series in the order of {@code runIds}; 404 naming the first
   * unknown run.
   */
  public List<List<Series>> compare(
      List<Long> runIds, List<String> keys, int maxPoints, StepRange range, boolean withTimes) {
    Stored stored = stored(runIds, keys);
    for (long id : runIds) {
      if (!stored.runs().contains(id)) {
        throw ApiErrors.notFound("runs", "no run with id " + id);
      }
    }
    return read(stored, runIds, keys, maxPoints, range, withTimes);
  }

  /**
   * [key][run]: each series downsampled from its summary, with its times if asked. One series is
   * read on the calling thread; more are read {@link Limits#SERIES_READ_THREADS} at a time on the
   * service's reader threads (each series' queries on its own pooled connection), so a page's 50
   * series take about as long as the old one-request-per-chart reads did side by side.
   */
  private List<List<Series>> read(
      Stored stored,
      List<Long> runIds,
      List<String> keys,
      int maxPoints,
      StepRange range,
      boolean withTimes) {
    List<Callable<Series>> reads = new ArrayList<>(keys.size() * runIds.size());
    for (String key : keys) {
      for (long id : runIds) {
        SeriesSummary summary = stored.of(id, key);
        reads.add(
            () -> {
              Series s = downsample(id, key, summary, maxPoints, range);
              return withTimes ? withTimes(s) : s;
            });
      }
    }
    List<Series> all = readAll(reads);
    List<List<Series>> out = new ArrayList<>(keys.size());
    for (int k = 0; k < keys.size(); k++) {
      out.add(all.subList(k * runIds.size(), (k + 1) * runIds.size()));
    }
    return out;
  }

  /** The reads' results in order; the first failure is rethrown as it was (a 404 stays a 404). */
  private List<Series> readAll(List<Callable<Series>> reads) {
    try {
      if (reads.size() == 1) {
        return List.of(reads.get(0).call());
      }
      List<Series> out = new ArrayList<>(reads.size());
      for (Future<Series> f : readers.invokeAll(reads)) {
        out.add(f.get());
      }
      return out;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading series", e);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The reader threads: at most {@link Limits#SERIES_READ_THREADS}, shared by all requests (so
   * reads hold at most that many pooled connections between them), daemon, gone when idle.
   */
  private static ExecutorService readers() {
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            Limits.SERIES_READ_THREADS,
            Limits.SERIES_READ_THREADS,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "liandan-series-read-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** Every series of a run with its summary, keys in order. */
  public Map<String, SeriesSummary> keys(long runId) {
    if (!db.fetchExists(RUNS, RUNS.ID.eq(runId))) {
      throw RunService.notFound(runId);
    }
    var S = METRIC_SUMMARIES;
    Map<String, SeriesSummary> out = new LinkedHashMap<>();
    db.select(
            S.KEY,
            S.FIRST_STEP,
            S.FIRST_VALUE,
            S.LAST_STEP,
            S.LAST_VALUE,
            S.MIN_VALUE,
            S.MAX_VALUE,
            S.COUNT)
        .from(S)
        .where(S.RUN_ID.eq(runId))
        .orderBy(S.KEY)
        .forEach(
            r ->
                out.put(
                    r.value1(),
                    new SeriesSummary(
                        r.value2(),
                        r.value3(),
                        r.value4(),
                        r.value5(),
                        r.value6(),
                        r.value7(),
                        r.value8())));
    return out;
  }

  /** ISO-8601 with an offset, or epoch seconds; null stays null (the server's clock). */
  static OffsetDateTime time(String field, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(value);
    } catch (DateTimeParseException e) {
      try {
        BigDecimal seconds = new BigDecimal(value);
        long nanos = seconds.movePointRight(9).longValueExact();
        return Instant.ofEpochSecond(0, nanos).atOffset(ZoneOffset.UTC);
      } catch (NumberFormatException | ArithmeticException e2) {
        throw ApiErrors.badRequest(
            field,
            field
                + " must be ISO-8601 with an offset (2026-01-31T12:00:00Z) or epoch seconds, not '"
                + value
                + "'");
      }
    }
  }
}
