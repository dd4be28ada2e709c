package io.liandan.llm.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * The small live oracles ({@code src/test/python/numerics_oracle.py}: torch's AdamW, transformers'
 * logits warpers) for tests outside this package. Their inputs are drawn from the same per-JVM seed
 * as {@link Oracle}'s, printed before anything can fail and replayed with {@code
 * -DLIANDAN_ORACLE_SEED=…}; not the model oracle, so a test using only this builds no model.
 */
public final class LiveOracle {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Long seed;

  private LiveOracle() {}

  /** This JVM's oracle seed: {@code LIANDAN_ORACLE_SEED} (property or environment) or drawn. */
  public static synchronized long seed() {
    if (seed == null) {
      String given = System.getProperty(Oracle.SEED, System.getenv(Oracle.SEED));
      seed =
          given == null || given.isBlank()
              ? new SecureRandom().nextInt(1 << 30)
              : Long.parseLong(given.trim());
      System.out.println("oracle: " + Oracle.SEED + "=" + seed);
    }
    return seed;
  }

  /** How to replay this run of {@code test}. */
  public static String replay(String test) {
    return "oracle seed "
        + seed()
        + " (replay: mvn -o -pl llm test -Dtest="
        + test
        + " -D"
        + Oracle.SEED
        + "="
        + seed()
        + ")";
  }

  /**
   * Runs {@code numerics_oracle.py WHAT} on this JVM's seed and returns the JSON it wrote (kept
   * under target/oracle-numerics-SEED/ with its log for inspection).
   */
  public static JsonNode numerics(String what) {
    return numerics(what, what);
  }

  /**
   * {@link #numerics(String)} with more arguments; its files are named {@code name} (one per call
   * when a test calls the same subcommand several times).
   */
  public static JsonNode numerics(String what, String name, String... more) {
    Path dir = Path.of("target", "oracle-numerics-" + seed()).toAbsolutePath();
    Path out = dir.resolve(name + ".json");
    List<String> args =
        new ArrayList<>(List.of(what, "--seed", Long.toString(seed()), "--out", out.toString()));
    args.addAll(List.of(more));
    try {
      Files.deleteIfExists(out);
      Oracle.runScript(
          "numerics_oracle.py", args, dir.resolve(name + ".log"), 2, "numerics_oracle.py " + what);
      return JSON.readTree(out.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A JSON array of numbers as floats (the oracle writes float32 values exactly). */
  public static float[] floats(JsonNode a) {
    float[] f = new float[a.size()];
    for (int i = 0; i < f.length; i++) f[i] = (float) a.get(i).asDouble();
    return f;
  }
}
