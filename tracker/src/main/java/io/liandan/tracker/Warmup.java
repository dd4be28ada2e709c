package io.liandan.tracker;

import static io.liandan.tracker.db.Tables.METRIC_SUMMARIES;

import io.liandan.tracker.metric.StepRange;
import io.liandan.tracker.web.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.jooq.DSLContext;
import org.jooq.Record2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first page load after a start paid ~1.3 s of one-time costs on the server (class loading and
 * jOOQ's, Jackson's and Javalin's first use, the pool's first connections): a compare view took
 * 1.5–2.1 s where later loads take 0.5 s. Right after the start, this takes those costs in the
 * background — the reads a run page and a compare view make, on a run the database already holds,
 * and a page and a script through HTTP — so the user's first page does not. Best effort: a failure
 * here is logged and changes nothing.
 */
final class Warmup {
  private static final Logger log = LoggerFactory.getLogger(Warmup.class);

  private Warmup() {}

  static void inBackground(TrackerApp.Deps deps, DSLContext db, String url) {
    Thread t = new Thread(() -> run(deps, db, url), "liandan-tracker-warmup");
    t.setDaemon(true);
    t.start();
  }

  private static void run(TrackerApp.Deps deps, DSLContext db, String url) {
    long t0 = System.nanoTime();
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      for (String path : List.of("/readyz", "/compare.html", "/js/charts.js")) {
        http.send(
            HttpRequest.newBuilder(URI.create(url + path)).build(),
            HttpResponse.BodyHandlers.discarding());
      }
      Record2<Long, String> any =
          db.select(METRIC_SUMMARIES.RUN_ID, METRIC_SUMMARIES.KEY)
              .from(METRIC_SUMMARIES)
              .limit(1)
              .fetchOne();
      if (any != null) {
        long run = any.value1();
        Json.MAPPER.writeValueAsBytes(deps.runs().byIds(List.of(run)));
        Json.MAPPER.writeValueAsBytes(
            deps.metricReader()
                .compare(List.of(run), List.of(any.value2()), 1_000, StepRange.ALL, false));
      }
      log.debug("warmed up in {} ms", (System.nanoTime() - t0) / 1_000_000);
    } catch (Exception e) {
      log.debug("warm-up skipped: {}", e.toString());
    }
  }
}
