package io.liandan.app;

import io.liandan.tracker.TrackerServer;
import io.liandan.tracker.auth.TokenService;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code liandan token create NAME}: an API token for the tracker's write endpoints. */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = "Manage tracker API tokens.",
    subcommands = TokenCommand.Create.class)
final class TokenCommand {
  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create a token; it is printed once and stored hashed.")
  static final class Create implements Callable<Integer> {
    @Parameters(paramLabel = "NAME", description = "what the token is for, e.g. gpu-worker-1")
    String name;

    @Mixin TrackerOptions db;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      // the embedded database's folder is locked while a server runs: stop it first, or use
      // --db-url
      try (TrackerServer server = TrackerServer.start(db.config().withPort(0))) {
        TokenService.CreatedToken t = server.tokens().create(name);
        spec.commandLine().getOut().println(t.token());
        spec.commandLine()
            .getErr()
            .println(
                "token '"
                    + t.name()
                    + "' (id "
                    + t.id()
                    + "): shown once, stored hashed; send it as Authorization: Bearer <token>");
      }
      return 0;
    }
  }
}
