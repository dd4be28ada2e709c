package io.liandan.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The jar the README's first command builds, {@code app/target/liandan.jar}, as tests and the UI
 * mains start it: with this JVM's java, never the test classpath. Failsafe runs in {@code app/},
 * the mains from the repository root; {@code -Dliandan.jar} names another.
 */
public final class ShippedJar {
  private ShippedJar() {}

  public static Path path() {
    String given = System.getProperty("liandan.jar");
    if (given != null) return Path.of(given);
    Path inApp = Path.of("target/liandan.jar");
    return Files.exists(inApp) ? inApp : Path.of("app/target/liandan.jar");
  }

  /** {@code java -Xmx<heap> -jar liandan.jar args…}; fails when the jar was not built. */
  public static List<String> command(String heap, String... args) {
    Path jar = path();
    if (!Files.exists(jar)) {
      throw new IllegalStateException(
          jar.toAbsolutePath() + " missing: build it first (mvn -pl app -am package -DskipTests)");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // absolute: the commands may run in another folder (a spec's, a user's working directory)
    cmd.addAll(List.of("-Xmx" + heap, "-jar", jar.toAbsolutePath().toString()));
    cmd.addAll(List.of(args));
    return cmd;
  }
}
