package io.liandan.app;

import io.liandan.tracker.AdminDatabase;
import io.liandan.tracker.auth.TokenService;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code liandan token create|list|revoke}: the tracker's API tokens. Each works while the server
 * runs: it reaches the server's embedded PostgreSQL with the home's password ({@link
 * AdminDatabase}), or starts the embedded database for itself when no server runs.
 */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = "Manage tracker API tokens (works while the server runs).",
    subcommands = {
      TokenCommand.Create.class,
      TokenCommand.ListTokens.class,
      TokenCommand.Revoke.class
    })
final class TokenCommand {
  /** What each subcommand does with the tokens, once the database is open; its exit code. */
  abstract static class OnTokens implements Callable<Integer> {
    @Mixin TrackerOptions db;

    @Spec CommandSpec spec;

    abstract int call(TokenService tokens, PrintWriter out, PrintWriter err);

    @Override
    public final Integer call() throws Exception {
      try (AdminDatabase admin = AdminDatabase.open(db.config())) {
        return call(
            new TokenService(admin.db()), spec.commandLine().getOut(), spec.commandLine().getErr());
      }
    }
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create a token; it is printed once and stored hashed.")
  static final class Create extends OnTokens {
    @Parameters(paramLabel = "NAME", description = "what the token is for, e.g. gpu-worker-1")
    String name;

    @Override
    int call(TokenService tokens, PrintWriter out, PrintWriter err) {
      TokenService.CreatedToken t = tokens.create(name);
      out.println(t.token());
      err.println(
          "token '"
              + t.name()
              + "' (id "
              + t.id()
              + "): shown once, stored hashed; send it as Authorization: Bearer <token>");
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List tokens: id, name, created, revoked (never the secret).")
  static final class ListTokens extends OnTokens {
    @Override
    int call(TokenService tokens, PrintWriter out, PrintWriter err) {
      out.printf("%-6s %-24s %-26s %s%n", "ID", "NAME", "CREATED", "REVOKED");
      for (TokenService.TokenInfo t : tokens.list()) {
        out.printf(
            "%-6d %-24s %-26s %s%n",
            t.id(),
            t.name(),
            t.createdAt(),
            t.revokedAt() == null ? "-" : t.revokedAt().toString());
      }
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description =
          "Revoke every active token named NAME; running servers refuse it within " + "1 second.")
  static final class Revoke extends OnTokens {
    @Parameters(paramLabel = "NAME", description = "the name the token was created with")
    String name;

    @Override
    int call(TokenService tokens, PrintWriter out, PrintWriter err) {
      int n = tokens.revoke(name);
      if (n == 0) {
        err.println("no active token named '" + name + "'");
        return 1;
      }
      out.println("revoked " + n + " token" + (n == 1 ? "" : "s") + " named '" + name + "'");
      return 0;
    }
  }
}
