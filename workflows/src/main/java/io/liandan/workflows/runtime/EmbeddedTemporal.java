package io.liandan.workflows.runtime;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The embedded Temporal server: temporal-test-server's in-memory services (real time, no time
 * skipping) on a gRPC port bound to the loopback interface only — TestServer.createPortBoundServer
 * would listen on all interfaces. In memory: a restart forgets every workflow, which is why {@code
 * liandan resume} re-runs the stored spec over the stage cache. Not implemented by it:
 * ListWorkflowExecutions, ResetWorkflowExecution, Schedules.
 */
public final class EmbeddedTemporal implements AutoCloseable {
  private final TestServicesStarter services;
  private final Server server;

  private EmbeddedTemporal(TestServicesStarter services, Server server) {
    this.services = services;
    this.server = server;
  }

  /** Starts on 127.0.0.1:{@code port} (0 = any free port). */
  public static EmbeddedTemporal start(int port) {
    TestServicesStarter services = new TestServicesStarter(true, 0);
    try {
      NettyServerBuilder b =
          NettyServerBuilder.forAddress(
              new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
              InsecureServerCredentials.create());
      GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), b);
      return new EmbeddedTemporal(services, b.build().start());
    } catch (IOException e) {
      services.close();
      throw new UncheckedIOException(
          "embedded Temporal on port " + port + ": " + e.getMessage(), e);
    }
  }

  public int port() {
    return server.getPort();
  }

  /** host:port for clients and workers. */
  public String target() {
    return "127.0.0.1:" + port();
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) server.shutdownNow();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
    services.close();
  }
}
