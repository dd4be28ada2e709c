package io.liandan.app;

import io.liandan.workflows.activities.ArtifactStore;
import io.liandan.workflows.runtime.Pipelines;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Where Temporal is. */
final class TemporalOptions {
  static final String DEFAULT_TARGET = "127.0.0.1:7233";

  @Option(
      names = "--temporal",
      description =
          "Temporal frontend host:port (default: LIANDAN_TEMPORAL or " + DEFAULT_TARGET + ")")
  String target;

  @Option(names = "--namespace", defaultValue = "default", description = "Temporal namespace")
  String namespace;

  String target() {
    if (target != null) return target;
    String env = System.getenv("LIANDAN_TEMPORAL");
    return env != null ? env : DEFAULT_TARGET;
  }

  Pipelines pipelines(Path home) {
    return new Pipelines(Pipelines.connect(target(), namespace), new ArtifactStore(home));
  }

  /**
   * The embedded (test) server never moves a workflow off a dead worker's sticky queue, so workers
   * on a loopback server turn sticky queues off; a remote cluster keeps Temporal's 5 s.
   */
  Duration stickyTimeout() {
    String host = target().substring(0, Math.max(0, target().lastIndexOf(':')));
    try {
      return InetAddress.getByName(host).isLoopbackAddress()
          ? Duration.ZERO
          : Duration.ofSeconds(5);
    } catch (java.net.UnknownHostException e) {
      return Duration.ofSeconds(5);
    }
  }
}
