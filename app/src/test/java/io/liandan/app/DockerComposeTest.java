package io.liandan.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
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
   * Whether {@code name} is an environment variable the jar's code reads: a string literal in the
   * main sources of a module the jar bundles (every module but bench), or, for the variables its
   * libraries read (DJL's DJL_CACHE_DIR, its PyTorch engine's PYTORCH_FLAVOR), a constant in a
   * class on the classpath. Derived, not a hand-kept list: a misspelt or dropped variable fails.
   */
  static boolean readByTheCode(String name) throws IOException {
    String literal = "\"" + name + "\"";
    try (Stream<Path> modules = Files.list(DOCKER.getParent())) {
      for (Path m : modules.toList()) {
        Path src = m.resolve("src/main/java");
        if (m.getFileName().toString().equals("bench") || !Files.isDirectory(src)) continue;
        try (Stream<Path> files = Files.walk(src)) {
          for (Path f : files.filter(f -> f.toString().endsWith(".java")).toList())
            if (Files.readString(f).contains(literal)) return true;
        }
      }
    }
    return inALibraryClass(name);
  }

  /** A class constant equal to {@code name} in a jar of this test's classpath. */
  static boolean inALibraryClass(String name) throws IOException {
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    // a CONSTANT_Utf8 entry: tag 1, two length bytes, the bytes
    byte[] entry = new byte[utf8.length + 3];
    entry[0] = 1;
    entry[1] = (byte) (utf8.length >> 8);
    entry[2] = (byte) utf8.length;
    System.arraycopy(utf8, 0, entry, 3, utf8.length);
    for (String cp : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      if (!cp.endsWith(".jar")) continue;
      try (JarFile jar = new JarFile(cp)) {
        for (JarEntry e : java.util.Collections.list(jar.entries())) {
          if (!e.getName().endsWith(".class")) continue;
          try (InputStream in = jar.getInputStream(e)) {
            if (indexOf(in.readAllBytes(), entry) >= 0) return true;
          }
        }
      }
    }
    return false;
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
      return i;
    }
    return -1;
  }

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
      for (String k : (Iterable<String>) () -> svc.get("environment").fieldNames())
        assertTrue(readByTheCode(k), s + ": " + k + " is read by nothing in the jar");
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
