package io.liandan.ui;

import static io.liandan.tracker.db.Tables.RUNS;

import com.fasterxml.jackson.databind.JsonNode;
import io.liandan.tracker.TrackerServer;
import io.liandan.tracker.artifact.ArtifactService;
import io.liandan.tracker.metric.MetricBatch;
import io.liandan.tracker.run.CreateRunRequest;
import io.liandan.tracker.run.PatchRunRequest;
import io.liandan.tracker.sample.SampleService;
import io.liandan.tracker.web.Json;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongToDoubleFunction;

/**
 * Writes runs, metric history, samples and artifacts straight through the tracker's services (the
 * same code the HTTP API calls), plus the one thing the API cannot: back-dating a run, so that
 * seeded pipelines have stages that ran one after another.
 */
public final class Seed {
  private static final int BATCH = 10_000;
  private final TrackerServer tracker;

  Seed(TrackerServer tracker) {
    this.tracker = tracker;
  }

  /** Creates a run; config and labels are maps turned into JSON. */
  public long run(
      String project,
      String name,
      String group,
      String jobType,
      Map<String, ?> config,
      List<String> tags) {
    var req =
        new CreateRunRequest(
            project, null, name, group, jobType, json(config), tags, null, null, null, null);
    return tracker.services().runs().createOrResume(req).run().id();
  }

  /**
   * Logs {@code key} at steps 0..n-1 with {@code value(step)}, wall time {@code start + step ×
   * msPerStep}, in batches of 10,000.
   */
  public void curve(
      long run, String key, long n, LongToDoubleFunction value, Instant start, long msPerStep) {
    for (long from = 0; from < n; from += BATCH) {
      List<MetricBatch.Point> points = new ArrayList<>(BATCH);
      for (long s = from; s < Math.min(n, from + BATCH); s++) {
        String time = start.plusMillis(s * msPerStep).toString();
        points.add(new MetricBatch.Point(key, s, value.applyAsDouble(s), time));
      }
      tracker.services().metricWriter().log(run, new MetricBatch(points));
    }
  }

  public void samples(long run, String table, Long step, List<Map<String, ?>> rows) {
    List<JsonNode> nodes = rows.stream().map(Seed::json).toList();
    tracker
        .services()
        .samples()
        .append(run, new SampleService.SampleBatch(table, step, null, nodes));
  }

  /** Logs an artifact the run produced; returns its id. */
  public long produced(long run, String name, String type, String uri, long size) {
    String sha = String.format("%064x", (long) uri.hashCode() & 0xffffffffL);
    return tracker
        .services()
        .artifacts()
        .log(run, new ArtifactService.LogArtifact(name, type, uri, sha, size, null))
        .artifact()
        .id();
  }

  public void used(long run, long artifactId) {
    tracker.services().artifacts().use(run, new ArtifactService.UseArtifact(artifactId, null));
  }

  public void patch(long run, String state, Map<String, ?> summary) {
    tracker
        .services()
        .runs()
        .patch(run, new PatchRunRequest(state, json(summary), null, null, null, null, null));
  }

  /**
   * Back-dates a run: created at {@code created}, last heartbeat at {@code heartbeat} (a running
   * run whose heartbeat is older than the server's timeout shows as crashed), finished at {@code
   * finished} or not.
   */
  public void times(long run, Instant created, Instant heartbeat, Instant finished) {
    tracker
        .db()
        .update(RUNS)
        .set(RUNS.CREATED_AT, created.atOffset(ZoneOffset.UTC))
        .set(RUNS.HEARTBEAT_AT, heartbeat.atOffset(ZoneOffset.UTC))
        .set(RUNS.UPDATED_AT, heartbeat.atOffset(ZoneOffset.UTC))
        .set(RUNS.FINISHED_AT, finished == null ? null : finished.atOffset(ZoneOffset.UTC))
        .where(RUNS.ID.eq(run))
        .execute();
  }

  /** Back-dates a run's resumes (what {@code POST /runs} with its key records) to {@code at}. */
  public void resumed(long run, Instant... at) {
    OffsetDateTime[] times = new OffsetDateTime[at.length];
    for (int i = 0; i < at.length; i++) {
      times[i] = at[i].atOffset(ZoneOffset.UTC);
    }
    tracker.db().update(RUNS).set(RUNS.RESUMED_AT, times).where(RUNS.ID.eq(run)).execute();
  }

  static JsonNode json(Object value) {
    return value == null ? null : Json.MAPPER.valueToTree(value);
  }
}
