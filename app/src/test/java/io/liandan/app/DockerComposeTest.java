package io.liandan.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * What can be checked of the deployment without Docker: the compose file parses, has the services
 * the design names, runs valid {@code liandan} command lines with environment variables the code
 * reads, and declares its volumes; the Dockerfile's entrypoint is the jar.
 */
class DockerComposeTest {
  static final Path DOCKER = Path.of("../docker");

  /**
   * Every variable the Liandan code reads (TrackerConfig, TemporalOptions, HomeOptions, workers).
   */
  static final Set<String> KNOWN_ENV =
      Set.of(
          "LIANDAN_TEMPORAL",
          "LIANDAN_TRACKER_URL",
          "LIANDAN_TRACKER_TOKEN",
          "LIANDAN_HOME",
          "LIANDAN_DB_URL",
          "LIANDAN_DB_USER",
          "LIANDAN_DB_PASSWORD",
          "LIANDAN_TRACKER_HOST",
          "LIANDAN_TRACKER_PORT",
          "HF_HOME",
          "DJL_CACHE_DIR",
          "DJL_OFFLINE",
          "PYTORCH_FLAVOR");

  @Test
  void composeHasTheStackAndValidLiandanCommands() throws Exception {
    // SnakeYAML (under Jackson's YAML module) resolves anchors and merge keys as compose does
    Object yaml =
        new org.yaml.snakeyaml.Yaml().load(Files.readString(DOCKER.resolve("compose.yaml")));
    JsonNode compose = new ObjectMapper().valueToTree(yaml);
    JsonNode services = compose.get("services");
    for (String s :
        List.of(
            "postgresql", "temporal", "temporal-ui", "liandan-server", "worker-cpu", "worker-gpu"))
      assertTrue(services.has(s), "missing service " + s);
    assertTrue(services.at("/temporal/image").asText().startsWith("temporalio/auto-setup"));
    assertEquals(
        "nvidia",
        services.at("/worker-gpu/deploy/resources/reservations/devices/0/driver").asText());

    for (String s : List.of("liandan-server", "worker-cpu", "worker-gpu")) {
      JsonNode svc = services.get(s);
      List<String> args = new ArrayList<>();
      svc.get("command").forEach(a -> args.add(a.asText()));
      // parsed by the CLI itself: an unknown command or option throws
      CommandLine.ParseResult parsed = Liandan.commandLine().parseArgs(args.toArray(String[]::new));
      assertTrue(parsed.hasSubcommand(), s + ": " + args);
      svc.get("environment")
          .fieldNames()
          .forEachRemaining(k -> assertTrue(KNOWN_ENV.contains(k), s + ": unknown variable " + k));
      for (JsonNode v : svc.path("volumes")) {
        String volume = v.asText().split(":")[0];
        assertTrue(compose.get("volumes").has(volume), s + ": undeclared volume " + volume);
      }
    }
    assertEquals("liandan-gpu", services.at("/worker-gpu/command/2").asText());
    JsonNode gpu = services.get("worker-gpu");
    assertEquals("temporal:7233", gpu.at("/environment/LIANDAN_TEMPORAL").asText());
    assertEquals("artifacts:/data/liandan", gpu.at("/volumes/0").asText());
    // DJL runs the libtorch bundled in the jar: the GPU worker needs the image built with -Pcuda
    assertEquals("liandan:cuda", gpu.at("/image").asText());
    assertTrue(Files.readString(DOCKER.resolve("Dockerfile")).contains("${MAVEN_PROFILES}"));
  }

  @Test
  void theImageRunsTheJar() throws Exception {
    String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
    assertTrue(
        dockerfile.contains(
            "COPY --from=build /src/app/target/liandan.jar /opt/liandan/liandan.jar"));
    assertTrue(
        dockerfile.contains(
            "ENTRYPOINT [\"java\", \"-XX:MaxRAMPercentage=75\", \"-jar\", \"/opt/liandan/liandan.jar\"]"));
    // the entrypoint's default command, run here as the image would run it
    ModelCommandsTest.Run help = ModelCommandsTest.run("--help");
    assertEquals(0, help.code());
    for (String c : List.of("up", "worker", "server", "run", "status", "resume", "cancel", "demo"))
      assertTrue(help.out().contains("  " + c + " "), c + " missing from --help:\n" + help.out());
  }
}
