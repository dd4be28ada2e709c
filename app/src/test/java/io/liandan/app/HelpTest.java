package io.liandan.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command and subcommand answers --help with its usage (exit 0), as users try first. */
class HelpTest {
  @Test
  void everyCommandHasHelp() {
    List<List<String>> paths = new ArrayList<>();
    collect(Liandan.commandLine(), new ArrayList<>(), paths);
    assertTrue(paths.size() >= 15, "commands found: " + paths);
    for (List<String> path : paths) {
      List<String> args = new ArrayList<>(path);
      args.add("--help");
      ModelCommandsTest.Run r = ModelCommandsTest.run(args.toArray(String[]::new));
      assertEquals(0, r.code(), path + " --help: " + r.err());
      assertTrue(r.out().startsWith("Usage: liandan"), path + " --help printed: " + r.out());
    }
  }

  static void collect(CommandLine cl, List<String> path, List<List<String>> out) {
    out.add(List.copyOf(path));
    cl.getSubcommands()
        .forEach(
            (name, sub) -> {
              if (!sub.getCommandName().equals(name)) return; // an alias
              List<String> p = new ArrayList<>(path);
              p.add(name);
              collect(sub, p, out);
            });
  }
}
