package io.liandan.tracker.metric;

import static io.liandan.tracker.db.Tables.METRIC_POINTS;
import static io.liandan.tracker.db.Tables.METRIC_ROLLUPS;
import static io.liandan.tracker.db.Tables.METRIC_SUMMARIES;
import static io.liandan.tracker.db.Tables.RUNS;

import io.liandan.tracker.Limits;
import io.liandan.tracker.run.RunService;
import io.liandan.tracker.web.ApiErrors;
import java.time.Duration;
import java.time.OffsetDateTime;
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
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record3;
import org.jooq.SelectField;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Metric history's reads: series downsampled in SQL (see {@link #series(long, String, int)}), many
 * series of a request read side by side on this reader's threads, and the series' keys with their
 * summaries. Writes, and the rollups downsampling reads, are {@link MetricWriter}'s.
 */
public final class MetricReader {
  private final DSLContext db;
  private final ExecutorService readers = readers();
  private final ReadGate gate;

  public MetricReader(DSLContext db) {
    this(
        db,
        new ReadGate(
            Limits.MAX_READ_POINTS_IN_FLIGHT, Duration.ofSeconds(Limits.READ_WAIT_SECONDS)));
  }

  public MetricReader(DSLContext db, ReadGate gate) {
    this.db = db;
    this.gate = gate;
  }

  /** What bounds the points all series reads of this reader hold at once. */
  public ReadGate gate() {
    return gate;
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

  /**
   * The stored points a read covers: its first and last (always kept) and whether the points
   * between them come back whole (no more than maxPoints of them).
   */
  private record Span(long lo, double loValue, long hi, double hiValue, boolean whole) {}

  /** One series, downsampled as {@link #series(long, String, int)} says, given its summary. */
  private Series downsample(
      long runId, String key, SeriesSummary s, int maxPoints, StepRange range) {
    if (s == null) {
      return new Series(key, runId, 0, List.of());
    }
    long total = s.count();
    Condition series = METRIC_POINTS.RUN_ID.eq(runId).and(METRIC_POINTS.KEY.eq(key));
    Span span = span(series, s, maxPoints, range);
    if (span == null) {
      return new Series(key, runId, total, List.of());
    }
    if (span.whole()) {
      return new Series(key, runId, total, allPoints(series, span));
    }
    TreeMap<Long, Double> keep = new TreeMap<>();
    int buckets = (maxPoints - 2) / 2;
    Integer width = rollupWidth(span.lo(), span.hi(), buckets);
    if (buckets > 0 && width != null) {
      keepFromRollups(keep, runId, key, span, buckets, width);
    } else if (buckets > 0) {
      keepFromPoints(keep, series, span, buckets);
    }
    keep.put(span.lo(), span.loValue());
    keep.put(span.hi(), span.hiValue());
    List<Series.Point> points = new ArrayList<>(keep.size());
    keep.forEach((step, value) -> points.add(new Series.Point(step, value)));
    return new Series(key, runId, total, points);
  }

  /**
   * The whole series' span from its summary; for a range that narrows it, the first and last stored
   * points inside the range (two index probes) and whether it holds more than maxPoints (a count
   * that stops there), or null when the range holds none.
   */
  private Span span(Condition series, SeriesSummary s, int maxPoints, StepRange range) {
    long lo = s.firstStep();
    long hi = s.lastStep();
    if (!range.narrows(lo, hi)) {
      return new Span(lo, s.first(), hi, s.last(), s.count() <= maxPoints);
    }
    var P = METRIC_POINTS;
    var inRange = series.and(P.STEP.between(Math.max(lo, range.lo()), Math.min(hi, range.hi())));
    var first =
        db.select(P.STEP, P.VALUE).from(P).where(inRange).orderBy(P.STEP).limit(1).fetchOne();
    if (first == null) {
      return null;
    }
    var last =
        db.select(P.STEP, P.VALUE)
            .from(P)
            .where(inRange)
            .orderBy(P.STEP.desc())
            .limit(1)
            .fetchOne();
    boolean whole =
        db.fetchCount(db.selectOne().from(P).where(inRange).limit(maxPoints + 1)) <= maxPoints;
    return new Span(first.value1(), first.value2(), last.value1(), last.value2(), whole);
  }

  /** Every point of the span, in step order. */
  private List<Series.Point> allPoints(Condition series, Span span) {
    var P = METRIC_POINTS;
    return db.select(P.STEP, P.VALUE)
        .from(P)
        .where(series)
        .and(P.STEP.between(span.lo(), span.hi()))
        .orderBy(P.STEP)
        .fetch(r -> new Series.Point(r.value1(), r.value2()));
  }

  /**
   * Each bucket's min and max point from the rollups: the level's buckets in [lo, hi] grouped into
   * {@code buckets} equal runs.
   */
  private void keepFromRollups(
      TreeMap<Long, Double> keep, long runId, String key, Span span, int buckets, int width) {
    var R = METRIC_ROLLUPS;
    long first = Math.floorDiv(span.lo(), width);
    long last = Math.floorDiv(span.hi(), width);
    double scale = buckets / ((double) last - first + 1);
    Field<Long> group =
        DSL.floor(
                R.BUCKET.minus(DSL.inline(first)).cast(SQLDataType.DOUBLE).times(DSL.inline(scale)))
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
      keepWithin(keep, span.lo(), span.hi(), r.value2()[1].longValue(), r.value2()[0]);
      keepWithin(keep, span.lo(), span.hi(), -r.value3()[1].longValue(), r.value3()[0]);
    }
  }

  /** Each bucket's min and max point from the points themselves, in equal step ranges. */
  private void keepFromPoints(
      TreeMap<Long, Double> keep, Condition series, Span span, int buckets) {
    var P = METRIC_POINTS;
    long lo = span.lo();
    double scale = buckets / ((double) span.hi() - lo + 1);
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
            .and(P.STEP.between(lo, span.hi()))
            .groupBy(bucket)) {
      keep.put(r.value2()[1].longValue(), r.value2()[0]);
      keep.put(-r.value3()[1].longValue(), r.value3()[0]);
    }
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
    for (int i = MetricWriter.WIDTHS.size() - 1; i >= 0; i--) {
      int width = MetricWriter.WIDTHS.get(i);
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
    db.select(S.KEY, SUMMARY)
        .from(S)
        .where(S.RUN_ID.eq(runId))
        .orderBy(S.KEY)
        .forEach(r -> out.put(r.value1(), r.value2()));
    return out;
  }

  /** A series' summary as metric_summaries' columns are selected and mapped. */
  public static final SelectField<SeriesSummary> SUMMARY =
      DSL.row(
              METRIC_SUMMARIES.FIRST_STEP,
              METRIC_SUMMARIES.FIRST_VALUE,
              METRIC_SUMMARIES.LAST_STEP,
              METRIC_SUMMARIES.LAST_VALUE,
              METRIC_SUMMARIES.MIN_VALUE,
              METRIC_SUMMARIES.MAX_VALUE,
              METRIC_SUMMARIES.COUNT)
          .mapping(SeriesSummary::new);
}
