package io.liandan.tracker.client;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A producer main class in a JVM of its own, on this test's classpath, so a test can kill it. */
final class ChildJvm {
  private ChildJvm() {}

  static ProcessBuilder of(Class<?> main, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=error");
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd);
  }
}
