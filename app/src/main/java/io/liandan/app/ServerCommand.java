package io.liandan.app;

import io.liandan.tracker.TrackerServer;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code liandan server}: the tracker (JSON API, MLflow-compatible endpoints) until Ctrl-C. */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = "Run the tracker server (embedded PostgreSQL unless --db-url).")
final class ServerCommand implements Callable<Integer> {
  @Mixin TrackerOptions db;

  @Option(names = "--port", description = "HTTP port (default: 7878, or LIANDAN_TRACKER_PORT)")
  Integer port;

  @Override
  public Integer call() throws Exception {
    var config = port == null ? db.config() : db.config().withPort(port);
    TrackerServer server = TrackerServer.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "tracker-shutdown"));
    System.out.println("Liandan tracker on " + server.url() + " (Ctrl-C stops it)");
    System.out.println("MLflow clients: MLFLOW_TRACKING_URI=" + server.url());
    stopped.await();
    return 0;
  }
}
