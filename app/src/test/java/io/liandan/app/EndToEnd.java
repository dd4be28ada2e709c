package io.liandan.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.llm.demo.DemoPipeline;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the end-to-end tests share: the short demo they run, where their JVMs log, {@code liandan}
 * in its own JVM or in this one, free ports, a log's tail and JSON over HTTP.
 */
final class EndToEnd {
  static final ObjectMapper JSON = new ObjectMapper();

  /** The spawned JVMs' logs, kept for a look after the test. */
  static final Path LOGS = Path.of("target", "e2e-logs");

  static final DemoPipeline.Size SHORT = DemoPipeline.Size.QUICK;

  private EndToEnd() {}

  /** {@code liandan ARGS} in a JVM of its own on this test's class path, 2 GB of heap. */
  static ProcessBuilder liandanJvm(String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g",
                "-cp",
                System.getProperty("java.class.path"),
                Liandan.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd);
  }

  /** {@code up}'s arguments for {@code home} and its three ports. */
  static String[] upArgs(Path home, int trackerPort, int temporalPort, int uiPort) {
    return new String[] {
      "up",
      "--home",
      home.toString(),
      "--port",
      Integer.toString(trackerPort),
      "--temporal-port",
      Integer.toString(temporalPort),
      "--temporal-ui-port",
      Integer.toString(uiPort)
    };
  }

  /** {@code liandan COMMAND [ID] WHERE…} in this JVM. */
  static ModelCommandsTest.Run liandan(String command, String id, String... where) {
    List<String> args = new ArrayList<>(List.of(command));
    if (id != null) args.add(id);
    args.addAll(List.of(where));
    return ModelCommandsTest.run(args.toArray(String[]::new));
  }

  /** {@code spec} written to {@code file}, then {@code liandan run FILE} in this JVM. */
  static ModelCommandsTest.Run runSpec(JsonNode spec, Path file, String temporal, Path home)
      throws IOException {
    Files.writeString(file, spec.toString());
    return ModelCommandsTest.run(
        "run", file.toString(), "--temporal", temporal, "--home", home.toString());
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** The last 40 lines of {@code log}. */
  static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  /** GET {@code url}, which must answer 200; its body as JSON. */
  static JsonNode getJson(String url) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), url + ": " + r.body());
    return JSON.readTree(r.body());
  }

  /** The steps of a tracker metric series ({@code /metrics}'s answer), in its order. */
  static List<Long> steps(JsonNode curve) {
    List<Long> steps = new ArrayList<>();
    curve.path("points").forEach(pt -> steps.add(pt.get(0).asLong()));
    return steps;
  }

  /** 1, 2, …, {@code n}: every step once. */
  static List<Long> everyStep(long n) {
    return Stream.iterate(1L, i -> i + 1).limit(n).toList();
  }
}
