package io.liandan.tracker.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against a real tracker server and PostgreSQL: the happy paths and rejected writes. */
class TrackerClientTest {
  static TestTracker tracker;
  @TempDir Path buffer;

  @BeforeAll
  static void start() {
    tracker = TestTracker.start();
  }

  @AfterAll
  static void stop() {
    tracker.close();
  }

  @Test
  void sameKeyResumesTheSameRun() {
    RunSpec spec = RunSpec.of("client", "wf-1/sft").withStage("wf-1", "sft");
    long id1;
    long id2;
    try (TrackerClient a = TrackerClient.open(tracker.clientConfig(buffer));
        TrackerClient b = TrackerClient.open(tracker.clientConfig(buffer))) {
      RunHandle first = a.run(spec);
      Points.log(first, 0, 1_000, 0);
      RunHandle resumed = b.run(spec.withConfig(Map.of("learning_rate", 2e-5)));
      Points.log(resumed, 1_000, 2_000, 0);
      id1 = first.id().getAsLong();
      id2 = resumed.id().getAsLong();
      resumed.summary(Map.of("best/eval_loss", 0.5));
      resumed.samples("generations", 10, List.of(Map.of("prompt", "2+2", "output", "4")));
      resumed.artifact("lora", "adapter", "file:///tmp/lora", null, 1234L, Map.of("r", 8));
      resumed.finish();
    }
    assertEquals(id1, id2, "one run per key");
    Points.assertArrived(tracker, id1, 0, 2_000);
    JsonNode run = tracker.get("/api/v1/runs/" + id1);
    assertEquals("finished", run.get("state").asText());
    assertEquals(0.5, run.get("summary").get("best/eval_loss").asDouble());
    JsonNode rows = tracker.get("/api/v1/runs/" + id1 + "/samples?table=generations").get("rows");
    assertEquals("4", rows.get(0).get("data").get("output").asText());
    JsonNode produced = tracker.get("/api/v1/runs/" + id1 + "/artifacts").get("produced");
    assertEquals("lora", produced.get(0).get("name").asText());
    assertEquals(1234, produced.get(0).get("size").asLong());
    assertBufferEmpty();
  }

  @Test
  void manyPointsArriveExactly() {
    long id;
    try (TrackerClient client = TrackerClient.open(tracker.clientConfig(buffer))) {
      RunHandle run = client.run(RunSpec.of("client", "many"));
      id = run.id().getAsLong();
      Points.log(run, 0, 16_667, 0); // 50,001 points over 3 keys
      run.log("special", 1, Double.NaN);
      run.log("special", 2, Double.POSITIVE_INFINITY);
      run.log(Map.of("special", -1.0 / 0.0), 3);
      assertTrue(run.flush(Duration.ofSeconds(30)));
      assertEquals(16_667 * 3 + 3, run.acknowledgedPoints());
    }
    Points.assertArrived(tracker, id, 0, 16_667);
    TreeMap<Long, Double> special = tracker.series(id, "special");
    assertEquals(
        Map.of(1L, Double.NaN, 2L, Double.POSITIVE_INFINITY, 3L, Double.NEGATIVE_INFINITY),
        special);
    assertBufferEmpty();
  }

  @Test
  void aPointAfterAnIdleSpellGoesOutAfterTheLingerNotTheHeartbeat() {
    try (TrackerClient client = TrackerClient.open(tracker.clientConfig(buffer))) {
      RunHandle run = client.run(RunSpec.of("client", "idle"));
      Points.sleep(300); // the sender thread now sleeps until its heartbeat, 60 s away
      run.log("loss", 1, 0.5);
      long until = System.nanoTime() + Duration.ofSeconds(10).toNanos(); // linger: 1 s
      while (run.acknowledgedPoints() < 1 && System.nanoTime() < until) {
        Points.sleep(20);
      }
      assertEquals(1, run.acknowledgedPoints(), "sent within the linger, without a flush");
    }
  }

  @Test
  void rejectedBatchesGoToRejectedAndAreNotRetried() throws Exception {
    try (TrackerClient client = TrackerClient.open(tracker.clientConfig(buffer))) {
      RunHandle unknown = client.attach(987_654_321L);
      for (int i = 0; i < 10; i++) {
        unknown.log("loss", i, i); // never throws
      }
      assertTrue(unknown.flush(Duration.ofSeconds(10)), "404: dropped, not retried forever");

      RunHandle run = client.run(RunSpec.of("client", "rejects"));
      run.log("k".repeat(300), 1, 1.0); // key over the server's limit: 400
      assertTrue(run.flush(Duration.ofSeconds(10)));
      Points.log(run, 0, 100, 0); // the run goes on
      assertTrue(run.flush(Duration.ofSeconds(10)));
      Points.assertArrived(tracker, run.id().getAsLong(), 0, 100);
    }
    Path rejected = buffer.resolve("rejected");
    List<String> reasons;
    try (Stream<Path> s = Files.list(rejected)) {
      reasons =
          s.filter(p -> p.toString().endsWith(".reason"))
              .map(TrackerClientTest::read)
              .sorted()
              .toList();
    }
    assertEquals(2, reasons.size(), reasons.toString());
    assertTrue(reasons.stream().anyMatch(r -> r.contains("HTTP 404")), reasons.toString());
    assertTrue(reasons.stream().anyMatch(r -> r.contains("HTTP 400")), reasons.toString());
    try (Stream<Path> s = Files.list(rejected)) {
      assertEquals(4, s.count(), "a batch file next to each reason");
    }
  }

  @Test
  void logNeverWaitsForADeadTracker() throws Exception {
    tracker.stop();
    // a small memory bound, so that log() itself spills to disk
    TrackerClientConfig config =
        tracker.clientConfig(buffer).withBatching(1_000, Duration.ofSeconds(1), 10_000);
    try (TrackerClient client = TrackerClient.open(config)) {
      RunHandle run = client.run(RunSpec.of("client", "down")); // gives up after createTimeout
      assertFalse(run.id().isPresent());
      long t0 = System.nanoTime();
      Points.log(run, 0, 33_334, 0); // 100,002 log() calls
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertTrue(seconds < 10, "100,002 log() calls took " + seconds + " s");
      long files = BatchFiles.count(buffer);
      assertTrue(files >= 90, "at most 10,000 points in memory; " + files + " batches on disk");
      tracker.restart();
      assertTrue(run.flush(Duration.ofSeconds(30)));
      Points.assertArrived(tracker, run.id().getAsLong(), 0, 33_334);
    } finally {
      if (!isUp()) {
        tracker.restart();
      }
    }
    assertBufferEmpty();
  }

  private static boolean isUp() {
    try {
      tracker.get("/api/v1/projects");
      return true;
    } catch (RuntimeException | AssertionError e) {
      return false;
    }
  }

  private void assertBufferEmpty() {
    try (Stream<Path> s = Files.list(buffer)) {
      List<Path> left = s.filter(p -> !p.getFileName().toString().equals("rejected")).toList();
      assertEquals(List.of(), left, "nothing left in the buffer");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
