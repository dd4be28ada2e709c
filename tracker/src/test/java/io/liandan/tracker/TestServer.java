package io.liandan.tracker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;

/** A tracker on its own fresh database (migrated from empty) and a random port, with a token. */
public final class TestServer implements AutoCloseable {
  public final TrackerServer server;
  public final String token;
  public final Api api;

  private TestServer(TrackerServer server) {
    this.server = server;
    this.token = server.tokens().create("test").token();
    this.api = new Api(server.url(), token);
  }

  public static TestServer start() {
    return start(false, Duration.ofMinutes(5));
  }

  public static TestServer start(boolean readsNeedToken, Duration crashAfter) {
    TrackerConfig config =
        TrackerConfig.defaults()
            .withPort(0)
            .withDatabase(TestPostgres.newDatabase(), null, null)
            .withReadsNeedToken(readsNeedToken)
            .withCrashAfter(crashAfter);
    try {
      return new TestServer(TrackerServer.start(config));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
