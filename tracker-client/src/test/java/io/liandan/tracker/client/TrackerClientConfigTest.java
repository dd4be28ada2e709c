package io.liandan.tracker.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Each wither changes what it names and keeps every other component. */
class TrackerClientConfigTest {
  static final TrackerClientConfig BASE =
      TrackerClientConfig.of("http://127.0.0.1:7878/", "t0k").withBufferDir(Path.of("/tmp/b0"));

  @Test
  void eachWitherChangesOnlyWhatItNames() throws Exception {
    check(c -> c.withBufferDir(Path.of("/tmp/b1")), Map.of("bufferDir", Path.of("/tmp/b1")));
    check(
        c -> c.withBatching(7, Duration.ofMillis(3), 70),
        Map.of("maxBatchPoints", 7, "linger", Duration.ofMillis(3), "maxMemoryPoints", 70));
    check(
        c -> c.withCloseTimeout(Duration.ofSeconds(2)),
        Map.of("closeTimeout", Duration.ofSeconds(2)));
    check(
        c -> c.withCreateTimeout(Duration.ofSeconds(3)),
        Map.of("createTimeout", Duration.ofSeconds(3)));
    check(
        c -> c.withBackoff(Duration.ofMillis(1), Duration.ofMillis(9)),
        Map.of("initialBackoff", Duration.ofMillis(1), "maxBackoff", Duration.ofMillis(9)));
    check(
        c -> c.withRequestTimeout(Duration.ofSeconds(4)),
        Map.of("requestTimeout", Duration.ofSeconds(4)));
    assertEquals("http://127.0.0.1:7878", BASE.baseUrl().toString(), "one trailing slash dropped");
  }

  private static void check(UnaryOperator<TrackerClientConfig> wither, Map<String, Object> changed)
      throws Exception {
    Map<String, Object> expected = components(BASE);
    expected.putAll(changed);
    Map<String, Object> got = components(wither.apply(BASE));
    assertEquals(expected, got, "changed " + changed.keySet());
    for (String k : Set.copyOf(changed.keySet()))
      assertEquals(changed.get(k), got.get(k), k + " set");
  }

  private static Map<String, Object> components(TrackerClientConfig c) throws Exception {
    Map<String, Object> m = new TreeMap<>();
    for (RecordComponent rc : TrackerClientConfig.class.getRecordComponents())
      m.put(rc.getName(), rc.getAccessor().invoke(c));
    return m;
  }
}
