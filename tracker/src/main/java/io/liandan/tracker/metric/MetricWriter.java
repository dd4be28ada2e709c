package io.liandan.tracker.metric;

import static io.liandan.tracker.db.Tables.METRIC_POINTS;
import static io.liandan.tracker.db.Tables.METRIC_ROLLUPS;
import static io.liandan.tracker.db.Tables.METRIC_SUMMARIES;
import static io.liandan.tracker.db.Tables.RUNS;

import io.liandan.tracker.Limits;
import io.liandan.tracker.Upserts;
import io.liandan.tracker.db.Keys;
import io.liandan.tracker.run.RunService;
import io.liandan.tracker.web.ApiErrors;
import io.liandan.tracker.web.Check;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.TreeSet;
import org.jooq.CommonTableExpression;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Record1;
import org.jooq.Record4;
import org.jooq.Record5;
import org.jooq.Record8;
import org.jooq.Select;
import org.jooq.SelectField;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Metric history's writes: batched idempotent ingest that keeps metric_summaries and metric_rollups
 * current. Reads are {@link MetricReader}'s.
 *
 * <p>One SQL statement per batch (one round trip). The points travel as four arrays (key, step,
 * value, time) unnested into an {@code INSERT … SELECT … ON CONFLICT (run_id, key, step) DO
 * UPDATE}: four bind values whatever the batch size (a VALUES list would need 4 per point, past
 * PostgreSQL's 32,767 bind limit at 10,000 points). Data-modifying CTEs in the same statement
 * refresh the run's heartbeat (and lock its row, so batches of one run apply in order), insert the
 * points (duplicates inside a batch: the later one wins; a stored point is rewritten only when its
 * value changes), merge the batch's aggregates into metric_summaries, and merge each rollup
 * bucket's min/max point (the finest width from the points, each coarser one from the level below).
 * Only when a re-sent point changed a stored value are that series' summary and the rollup buckets
 * holding the changed points rebuilt from history (more statements in the same transaction): a
 * minimum or maximum cannot be un-merged.
 */
public final class MetricWriter {
  private static final Field<Double> NAN = DSL.field("'NaN'::float8", SQLDataType.DOUBLE);

  /** Bucket widths of metric_rollups, in steps (V3__create_metric_rollups.sql): ×16 per level. */
  static final List<Integer> WIDTHS = List.of(16, 256, 4096, 65536);

  private static final int LEVEL_SHIFT = 4;

  private final DSLContext db;

  public record Logged(int received, long inserted, long updated) {}

  /** A validated batch as the four arrays the statement binds; {@code times[i]} may be null. */
  private record Columns(String[] keys, Long[] steps, Double[] values, OffsetDateTime[] times) {}

  public MetricWriter(DSLContext db) {
    this.db = db;
  }

  public Logged log(long runId, MetricBatch batch) {
    Columns c = columns(batch.points());
    if (c.keys().length == 0) {
      if (!db.fetchExists(RUNS, RUNS.ID.eq(runId))) {
        throw RunService.notFound(runId);
      }
      return new Logged(0, 0, 0);
    }
    return db.transactionResult(cfg -> write(cfg.dsl(), runId, c));
  }

  /** The batch checked point by point (400 naming the first bad field) and laid out as columns. */
  private static Columns columns(List<MetricBatch.Point> points) {
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
    Columns c = new Columns(new String[n], new Long[n], new Double[n], new OffsetDateTime[n]);
    for (int i = 0; i < n; i++) {
      MetricBatch.Point p = points.get(i);
      String at = "points[" + i + "]";
      if (p == null) {
        throw ApiErrors.badRequest(at, at + " is null");
      }
      c.keys()[i] = Check.required(at + ".key", p.key(), Limits.MAX_KEY_LENGTH);
      if (p.step() == null) {
        throw ApiErrors.badRequest(at + ".step", at + ".step is required");
      }
      if (Math.abs(p.step()) > Limits.MAX_ABS_STEP) {
        throw ApiErrors.badRequest(at + ".step", at + ".step is outside ±2^53");
      }
      c.steps()[i] = p.step();
      if (p.value() == null) {
        throw ApiErrors.badRequest(at + ".value", at + ".value is required");
      }
      c.values()[i] = p.value();
      c.times()[i] = time(at + ".time", p.time());
    }
    return c;
  }

  /**
   * The batch in one statement (heartbeat → points → aggregates → summaries → rollups), then, only
   * where a re-sent point changed a stored value, those series' summaries and buckets rebuilt.
   */
  private static Logged write(DSLContext tx, long runId, Columns c) {
    CommonTableExpression<Record1<Long>> hb = heartbeat(runId);
    CommonTableExpression<?> pts = latestPerStep(c);
    CommonTableExpression<?> up = upsertPoints(hb, pts);
    CommonTableExpression<?> agg = aggregates(up);
    CommonTableExpression<?> sm = mergeSummaries(runId, agg);
    List<CommonTableExpression<?>> rollups = rollupMerge(runId, up);
    Record r =
        tx.with(hb)
            .with(pts)
            .with(up)
            .with(agg)
            .with(sm)
            .with(rollups)
            .select(outcome(hb, up, agg))
            .fetchOne();
    if (r.get("found", Integer.class) == 0) {
      throw RunService.notFound(runId);
    }
    String[] changedKeys = r.get("changed_keys", String[].class);
    if (changedKeys != null) {
      Long[] changedSteps = r.get("changed_steps", Long[].class);
      for (String key : new TreeSet<>(List.of(changedKeys))) {
        recompute(tx, runId, key);
      }
      rebuildRollups(tx, runId, changedKeys, changedSteps);
    }
    return new Logged(c.keys().length, r.get("added", Long.class), r.get("changed", Long.class));
  }

  /** hb: the run's heartbeat refreshed (its row locked); its id, or no row for an unknown run. */
  private static CommonTableExpression<Record1<Long>> heartbeat(long runId) {
    return DSL.name("hb")
        .as(
            DSL.update(RUNS)
                .set(RUNS.HEARTBEAT_AT, DSL.currentOffsetDateTime())
                .set(RUNS.UPDATED_AT, DSL.currentOffsetDateTime())
                .where(RUNS.ID.eq(runId))
                .returningResult(RUNS.ID));
  }

  /**
   * pts(key, step, value, wall_time): the batch's columns unnested, the later of two points with
   * the same (key, step) in one batch winning.
   */
  private static CommonTableExpression<Record4<String, Long, Double, OffsetDateTime>> latestPerStep(
      Columns c) {
    Table<?> u =
        DSL.table(
            "unnest({0}, {1}, {2}, {3}) with ordinality as u(key, step, value, wall_time, ord)",
            DSL.val(c.keys(), SQLDataType.CLOB.array()),
            DSL.val(c.steps(), SQLDataType.BIGINT.array()),
            DSL.val(c.values(), SQLDataType.DOUBLE.array()),
            DSL.val(c.times(), SQLDataType.TIMESTAMPWITHTIMEZONE.array()));
    Field<String> uKey = DSL.field(DSL.name("u", "key"), String.class);
    Field<Long> uStep = DSL.field(DSL.name("u", "step"), Long.class);
    Field<Double> uValue = DSL.field(DSL.name("u", "value"), Double.class);
    Field<OffsetDateTime> uTime = DSL.field(DSL.name("u", "wall_time"), OffsetDateTime.class);
    Field<Long> uOrd = DSL.field(DSL.name("u", "ord"), Long.class);
    return DSL.name("pts")
        .as(
            DSL.selectDistinct(uKey, uStep, uValue, uTime)
                .on(uKey, uStep)
                .from(u)
                .orderBy(uKey, uStep, uOrd.desc()));
  }

  /**
   * up(key, step, value, inserted): the points upserted (a stored point rewritten only when its
   * value changes), one row per point inserted or changed.
   */
  private static CommonTableExpression<Record4<String, Long, Double, Boolean>> upsertPoints(
      CommonTableExpression<Record1<Long>> hb, CommonTableExpression<?> pts) {
    var P = METRIC_POINTS;
    Field<String> ptsKey = pts.field("key", String.class);
    Field<Long> ptsStep = pts.field("step", Long.class);
    Field<Boolean> inserted = DSL.field("(xmax = 0)", SQLDataType.BOOLEAN).as("inserted");
    return DSL.name("up")
        .as(
            DSL.insertInto(P, P.RUN_ID, P.KEY, P.STEP, P.VALUE, P.WALL_TIME)
                .select(
                    DSL.select(
                            hb.field(RUNS.ID),
                            ptsKey,
                            ptsStep,
                            pts.field("value", Double.class),
                            DSL.coalesce(
                                pts.field("wall_time", OffsetDateTime.class),
                                DSL.currentOffsetDateTime()))
                        .from(pts)
                        .crossJoin(hb)
                        .orderBy(ptsKey, ptsStep))
                .onConflictOnConstraint(Keys.METRIC_POINTS_PK)
                .doUpdate()
                .set(P.VALUE, DSL.excluded(P.VALUE))
                .set(P.WALL_TIME, DSL.excluded(P.WALL_TIME))
                .where(P.VALUE.isDistinctFrom(DSL.excluded(P.VALUE)))
                .returningResult(P.KEY, P.STEP, P.VALUE, inserted));
  }

  /**
   * agg: per key, the written points' first, last, min and max (NaN left out of min and max) and
   * how many were added and how many changed.
   */
  private static CommonTableExpression<?> aggregates(CommonTableExpression<?> up) {
    Field<String> upKey = up.field("key", String.class);
    Field<Long> upStep = up.field("step", Long.class);
    Field<Double> upValue = up.field("value", Double.class);
    Field<Boolean> upInserted = up.field("inserted", Boolean.class);
    return DSL.name("agg")
        .as(
            DSL.select(
                    upKey.as("key"),
                    DSL.min(upStep).as("first_step"),
                    DSL.arrayGet(DSL.arrayAgg(upValue).orderBy(upStep.asc()), 1).as("first_value"),
                    DSL.max(upStep).as("last_step"),
                    DSL.arrayGet(DSL.arrayAgg(upValue).orderBy(upStep.desc()), 1).as("last_value"),
                    DSL.min(upValue).filterWhere(upValue.ne(NAN)).as("min_value"),
                    DSL.max(upValue).filterWhere(upValue.ne(NAN)).as("max_value"),
                    DSL.count().filterWhere(upInserted).as("added"),
                    DSL.count().filterWhere(DSL.not(upInserted)).as("changed"))
                .from(up)
                .groupBy(upKey));
  }

  /** sm: the batch's aggregates merged into metric_summaries (count grows by the added points). */
  private static CommonTableExpression<?> mergeSummaries(long runId, CommonTableExpression<?> agg) {
    var S = METRIC_SUMMARIES;
    Field<String> key = agg.field("key", String.class);
    return DSL.name("sm")
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
                            key,
                            agg.field("first_step", Long.class),
                            agg.field("first_value", Double.class),
                            agg.field("last_step", Long.class),
                            agg.field("last_value", Double.class),
                            agg.field("min_value", Double.class),
                            agg.field("max_value", Double.class),
                            agg.field("added", Integer.class).cast(SQLDataType.BIGINT))
                        .from(agg)
                        .orderBy(key))
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
                    DSL.when(DSL.excluded(S.LAST_STEP).ge(S.LAST_STEP), DSL.excluded(S.LAST_VALUE))
                        .otherwise(S.LAST_VALUE))
                .set(S.LAST_STEP, DSL.greatest(S.LAST_STEP, DSL.excluded(S.LAST_STEP)))
                .set(S.MIN_VALUE, DSL.least(S.MIN_VALUE, DSL.excluded(S.MIN_VALUE)))
                .set(S.MAX_VALUE, DSL.greatest(S.MAX_VALUE, DSL.excluded(S.MAX_VALUE)))
                .set(S.COUNT, S.COUNT.plus(DSL.excluded(S.COUNT)))
                .set(S.UPDATED_AT, DSL.currentOffsetDateTime())
                .returningResult(S.KEY));
  }

  /**
   * The statement's one row: found (the run exists), added and changed (point counts), and the
   * (key, step) of every changed point as two arrays ordered alike (null when none changed).
   */
  private static List<SelectField<?>> outcome(
      CommonTableExpression<?> hb, CommonTableExpression<?> up, CommonTableExpression<?> agg) {
    Field<String> upKey = up.field("key", String.class);
    Field<Long> upStep = up.field("step", Long.class);
    Field<Boolean> changed = DSL.not(up.field("inserted", Boolean.class));
    return List.of(
        DSL.field(DSL.selectCount().from(hb)).as("found"),
        DSL.field(sum(agg, "added")).as("added"),
        DSL.field(sum(agg, "changed")).as("changed"),
        DSL.field(DSL.select(DSL.arrayAgg(upKey).orderBy(upKey, upStep)).from(up).where(changed))
            .as("changed_keys"),
        DSL.field(DSL.select(DSL.arrayAgg(upStep).orderBy(upKey, upStep)).from(up).where(changed))
            .as("changed_steps"));
  }

  private static Select<Record1<BigDecimal>> sum(CommonTableExpression<?> agg, String count) {
    return DSL.select(DSL.coalesce(DSL.sum(agg.field(count, Integer.class)), BigDecimal.ZERO))
        .from(agg);
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
      long runId, CommonTableExpression<?> up) {
    Field<String> upKey = up.field("key", String.class);
    Field<Long> upStep = up.field("step", Long.class);
    Field<Double> upValue = up.field("value", Double.class);
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
    ctes.add(upsertRollups(rows));
    return ctes;
  }

  /** ru: every level's bucket rows upserted, a stored extreme replaced only by a beating one. */
  private static CommonTableExpression<?> upsertRollups(
      Select<Record8<Long, String, Integer, Long, Long, Double, Long, Double>> rows) {
    var R = METRIC_ROLLUPS;
    return DSL.name("ru")
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
                .set(R.MIN_STEP, DSL.when(lower(), DSL.excluded(R.MIN_STEP)).otherwise(R.MIN_STEP))
                .set(
                    R.MAX_VALUE,
                    DSL.when(higher(), DSL.excluded(R.MAX_VALUE)).otherwise(R.MAX_VALUE))
                .set(R.MAX_STEP, DSL.when(higher(), DSL.excluded(R.MAX_STEP)).otherwise(R.MAX_STEP))
                .returningResult(R.KEY));
  }

  /** The rollup buckets holding a changed point, rebuilt from history (one statement). */
  private static void rebuildRollups(DSLContext tx, long runId, String[] keys, Long[] steps) {
    LinkedHashSet<List<Object>> buckets = new LinkedHashSet<>();
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
        .set(Upserts.fromExcluded(R.MIN_STEP, R.MIN_VALUE, R.MAX_STEP, R.MAX_VALUE))
        .execute();
  }

  /** The batch's minimum point comes before the stored one (smaller value, then smaller step). */
  private static Condition lower() {
    var R = METRIC_ROLLUPS;
    return DSL.row(DSL.excluded(R.MIN_VALUE), DSL.excluded(R.MIN_STEP))
        .lt(DSL.row(R.MIN_VALUE, R.MIN_STEP));
  }

  /** The batch's maximum point beats the stored one (larger value, then smaller step). */
  private static Condition higher() {
    var R = METRIC_ROLLUPS;
    return DSL.row(DSL.excluded(R.MAX_VALUE), DSL.excluded(R.MAX_STEP).neg())
        .gt(DSL.row(R.MAX_VALUE, R.MAX_STEP.neg()));
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
