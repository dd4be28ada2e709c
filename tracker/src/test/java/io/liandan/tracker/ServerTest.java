package io.liandan.tracker;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A test class whose tests share one {@link TestServer} (a fresh database, a random port, a token):
 * started before the first test, closed after the last. A subclass's own {@code @BeforeAll}, named
 * otherwise, runs after this one, with the server up.
 */
abstract class ServerTest {
  static TestServer t;
  static Api api;

  @BeforeAll
  static void startServer() {
    t = TestServer.start();
    api = t.api;
  }

  @AfterAll
  static void stopServer() {
    t.close();
  }
}
