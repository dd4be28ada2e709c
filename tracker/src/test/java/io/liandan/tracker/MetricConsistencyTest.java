package io.liandan.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.StringJoiner;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jooq.DSLContext;
import org.junit.jupiter.api.Test;

/**
 * The tables kept current on write (metric_summaries, metric_rollups) must always equal what the
 * history says, whatever order batches arrive in: concurrent writers to one run and to several,
 * re-sent and overwritten points, NaN and infinities.
 */
class MetricConsistencyTest extends ServerTest {
  static String batch(Random rnd, int size, int maxStep) {
    String[] keys = {"loss", "lr", "system/gpu"};
    StringJoiner j = new StringJoiner(",", "{\"points\":[", "]}");
    for (int i = 0; i < size; i++) {
      double u = rnd.nextDouble();
      String value =
          u < 0.02
              ? "\"NaN\""
              : u < 0.03
                  ? "\"Infinity\""
                  : u < 0.04 ? "\"-Infinity\"" : Double.toString(rnd.nextGaussian());
      j.add(
          "{\"key\":\""
              + keys[rnd.nextInt(keys.length)]
              + "\",\"step\":"
              + (rnd.nextInt(maxStep) - 50)
              + ",\"value\":"
              + value
              + "}");
    }
    return j.toString();
  }

  @Test
  void summariesAndRollupsMatchHistoryUnderConcurrentOverlappingWrites() throws Exception {
    long shared = api.createRun("{\"project\":\"consistency\"}");
    long[] own = new long[3];
    for (int i = 0; i < own.length; i++) {
      own[i] = api.createRun("{\"project\":\"consistency\"}");
    }
    ExecutorService pool = Executors.newFixedThreadPool(6);
    List<Future<?>> done = new ArrayList<>();
    for (int w = 0; w < 6; w++) {
      long run = w < 3 ? shared : own[w - 3];
      int seed = w;
      done.add(
          pool.submit(
              () -> {
                Random rnd = new Random(seed);
                for (int b = 0; b < 15; b++) {
                  // steps overlap between batches and writers: many points are overwritten
                  Api.Response r =
                      api.post("/api/v1/runs/" + run + "/metrics", batch(rnd, 400, 70_000));
                  assertEquals(200, r.status(), r.body());
                }
                return null;
              }));
    }
    for (Future<?> f : done) {
      f.get();
    }
    pool.shutdown();

    DSLContext db = t.server.db();
    // metric_summaries = the aggregates of the history
    String expectedSummaries =
        db.fetch(
                "select run_id, key, min(step), (array_agg(value order by step))[1], max(step),"
                    + " (array_agg(value order by step desc))[1],"
                    + " min(value) filter (where value <> 'NaN'), max(value) filter (where value <> 'NaN'),"
                    + " count(*) from metric_points group by run_id, key order by run_id, key")
            .formatCSV(false);
    String actualSummaries =
        db.fetch(
                "select run_id, key, first_step, first_value, last_step, last_value, min_value,"
                    + " max_value, count from metric_summaries order by run_id, key")
            .formatCSV(false);
    assertEquals(expectedSummaries, actualSummaries);

    // metric_rollups = each bucket's min and max point of the history, for every width
    String expectedRollups =
        db.fetch(
                "with p as (select p.*, w.width, floor(p.step::float8 / w.width)::bigint as bucket"
                    + " from metric_points p cross join (values (16), (256), (4096), (65536)) w(width)),"
                    + " a as (select run_id, key, width, bucket, min(array[value, step]) lo,"
                    + " max(array[value, -step]) hi from p group by run_id, key, width, bucket)"
                    + " select run_id, key, width, bucket, lo[2]::bigint, lo[1], (-hi[2])::bigint, hi[1]"
                    + " from a order by run_id, key, width, bucket")
            .formatCSV(false);
    String actualRollups =
        db.fetch(
                "select run_id, key, width, bucket, min_step, min_value, max_step, max_value"
                    + " from metric_rollups order by run_id, key, width, bucket")
            .formatCSV(false);
    assertEquals(expectedRollups, actualRollups);
  }
}
