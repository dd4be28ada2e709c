package io.liandan.tracker.codegen;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.jooq.codegen.GenerationTool;
import org.jooq.meta.jaxb.Configuration;
import org.jooq.meta.jaxb.Database;
import org.jooq.meta.jaxb.Generate;
import org.jooq.meta.jaxb.Generator;
import org.jooq.meta.jaxb.Jdbc;
import org.jooq.meta.jaxb.Target;

/**
 * Build-time jOOQ generation from the real schema: starts an embedded PostgreSQL, migrates it with
 * the Flyway SQL of the migrations module and points jOOQ's codegen at it (jOOQ's own advice; no
 * DDLDatabase/H2 quirks). Run by exec-maven-plugin in generate-sources as a single-file program
 * ({@code java -cp <compile classpath> JooqCodegen.java MIGRATIONS_DIR OUTPUT_DIR}); not shipped.
 *
 * <p>Skips the work when the migrations' SHA-256 matches the one recorded by the last generation.
 */
public final class JooqCodegen {
  static final String PACKAGE = "io.liandan.tracker.db";

  public static void main(String[] args) throws Exception {
    Path migrations = Path.of(args[0]).toAbsolutePath().normalize();
    Path output = Path.of(args[1]).toAbsolutePath().normalize();
    String hash = hashOf(migrations);
    Path stamp = output.resolve(".migrations.sha256");
    if (Files.exists(stamp) && Files.readString(stamp).strip().equals(hash)) {
      System.out.println("[jooq-codegen] up to date with " + migrations);
      return;
    }
    long t0 = System.nanoTime();
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      String url = pg.getJdbcUrl("postgres", "postgres");
      Flyway.configure()
          .dataSource(url, "postgres", "postgres")
          .locations("filesystem:" + migrations)
          .load()
          .migrate();
      GenerationTool.generate(configuration(url, output));
    }
    Files.writeString(stamp, hash + "\n");
    System.out.printf(
        "[jooq-codegen] generated %s into %s in %.1f s%n",
        PACKAGE, output, (System.nanoTime() - t0) / 1e9);
  }

  static Configuration configuration(String url, Path output) {
    return new Configuration()
        .withJdbc(new Jdbc().withUrl(url).withUser("postgres").withPassword("postgres"))
        .withGenerator(
            new Generator()
                .withDatabase(
                    new Database()
                        .withName("org.jooq.meta.postgres.PostgresDatabase")
                        .withInputSchema("public")
                        .withOutputSchemaToDefault(true)
                        .withExcludes("flyway_schema_history"))
                .withGenerate(
                    new Generate()
                        .withRecords(true)
                        .withPojos(false)
                        .withJavaTimeTypes(true)
                        .withGeneratedAnnotation(false)
                        .withImplicitJoinPathsToMany(false)
                        .withComments(true))
                .withTarget(
                    new Target()
                        .withPackageName(PACKAGE)
                        .withDirectory(output.toString())
                        .withClean(true)));
  }

  /** SHA-256 over the migration files' names and contents, in name order. */
  static String hashOf(Path migrations) throws IOException {
    try (Stream<Path> files = Files.list(migrations)) {
      List<Path> sorted = files.filter(p -> p.toString().endsWith(".sql")).sorted().toList();
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Path f : sorted) {
        sha.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
        sha.update(Files.readAllBytes(f));
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
