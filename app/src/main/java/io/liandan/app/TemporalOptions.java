package io.liandan.app;

import io.liandan.contracts.ArtifactStore;
import io.liandan.workflows.runtime.Pipelines;
import java.nio.file.Path;
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
}
