package io.liandan.llm.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.llm.data.QwenFixture;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.train.DpoTrainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.function.Executable;

/**
 * One run of the live oracle ({@code src/test/python/oracle.py}): Hugging Face transformers, PEFT
 * and TRL build random tiny models of each family (Qwen2, Llama, Mistral, Qwen3, Gemma 2, Gemma 3,
 * Phi-3) from a seed drawn per JVM (or {@code LIANDAN_ORACLE_SEED}, as a system property or
 * environment variable, to replay one) and dump what they compute; the tests load the same
 * checkpoints and compare. Made once per JVM, under target/oracle-SEED, which is kept so a failure
 * can be inspected.
 */
final class Oracle {
  static final String SEED = "LIANDAN_ORACLE_SEED";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Oracle instance;

  final long seed;
  final Path dir;
  final List<JsonNode> cases = new ArrayList<>();

  private Oracle(long seed, Path dir) {
    this.seed = seed;
    this.dir = dir;
  }

  static synchronized Oracle get() {
    if (instance == null) {
      long seed = LiveOracle.seed(); // printed before anything can fail: replayable
      Path dir = Path.of("target", "oracle-" + seed).toAbsolutePath();
      io.liandan.llm.model.CheckpointWriter.deleteRecursively(dir); // a replay starts clean
      Oracle o = new Oracle(seed, dir);
      o.python(
          "reference",
          "--seed",
          Long.toString(seed),
          "--out",
          dir.toString(),
          "--tokenizer",
          QwenFixture.modelDir().toString());
      o.readJson("cases.json").get("cases").forEach(o.cases::add);
      instance = o;
    }
    return instance;
  }

  /** Case folder: model/, lora/, peft_trained/, *.safetensors, *.json as oracle.py wrote them. */
  Path dir(JsonNode c) {
    return dir.resolve(c.get("name").asText());
  }

  JsonNode readJson(String rel) {
    try {
      return JSON.readTree(dir.resolve(rel).toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** How to replay this run. */
  String replay() {
    return "oracle seed "
        + seed
        + " (replay: mvn -o -pl llm test -Dtest='Oracle*' -D"
        + SEED
        + "="
        + seed
        + ")";
  }

  /**
   * The reference TRL uses for a PEFT policy: {@code model} with {@code lora} switched off, its
   * whole logits (no head in pieces), so the oracle compares like with like.
   */
  static DpoTrainer.Reference adapterOff(Decoder model, LoraAdapter lora) {
    return (ids, mask) -> {
      lora.setEnabled(false);
      try {
        return model.forward(ids, mask, false);
      } finally {
        lora.setEnabled(true);
      }
    };
  }

  /** One dynamic test per case, named by the case and its config; failures name the seed. */
  static Stream<DynamicTest> perCase(String what, CaseBody body) {
    Oracle o = get();
    return o.cases.stream()
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.get("name").asText() + " " + summary(c),
                    () -> o.inCase(c, what, () -> body.run(o, c))));
  }

  @FunctionalInterface
  interface CaseBody {
    void run(Oracle o, JsonNode c) throws Exception;
  }

  /** The config's shape in a few words: the test's display name. */
  static String summary(JsonNode c) {
    String family = c.path("family").asText("qwen2");
    if (c.has("attention_bias")) family += c.get("attention_bias").asBoolean() ? "+bias" : "";
    if (c.has("sliding_window")) family += " window " + c.get("sliding_window").asInt();
    if (c.hasNonNull("rope_scaling")) family += " rope " + c.get("rope_scaling").asText();
    if (c.has("rope_extra")) family += " " + c.get("rope_extra").toString();
    if (c.path("partial_rotary_factor").asDouble(1) != 1)
      family += " partial rotary " + c.get("partial_rotary_factor");
    if (c.has("layer_types")) family += " layers " + c.get("layer_types").toString();
    if (c.has("query_pre_attn_scalar")) family += " qscale " + c.get("query_pre_attn_scalar");
    if (c.hasNonNull("attn_logit_softcapping"))
      family += " attn cap " + c.get("attn_logit_softcapping");
    if (c.hasNonNull("final_logit_softcapping"))
      family += " final cap " + c.get("final_logit_softcapping");
    if (c.has("rope_local_base_freq")) family += " local rope " + c.get("rope_local_base_freq");
    return String.format(
        "(%s, hidden %d, heads %d/%d kv, %s, %s, %s%s padding)",
        family,
        c.get("hidden_size").asInt(),
        c.get("num_attention_heads").asInt(),
        c.get("num_key_value_heads").asInt(),
        c.get("tie").asBoolean() ? "tied" : "untied",
        c.get("dtype").asText(),
        c.get("sharded").asBoolean() ? "sharded, " : "",
        c.get("padding").asText());
  }

  /** Runs {@code body}; a failure is rethrown naming the seed and the case's config. */
  void inCase(JsonNode c, String what, Executable body) {
    try {
      body.execute();
    } catch (Throwable t) {
      throw new AssertionError(replay() + ", " + what + ", config " + c + ": " + t.getMessage(), t);
    }
  }

  /** Runs oracle.py with {@link #interpreter}; its output goes to a log beside its files. */
  void python(String... args) {
    Path log = dir.resolve("oracle-" + args[0] + ".log");
    runScript("oracle.py", List.of(args), log, 10, replay() + ": oracle.py " + args[0]);
  }

  /**
   * Runs {@code script} (in llm/src/test/python) with {@link #interpreter} and {@code args}, its
   * output to {@code log}; fails, naming {@code what} and the log's end, when it takes over {@code
   * minutes} or exits with an error.
   */
  static void runScript(String script, List<String> args, Path log, int minutes, String what) {
    Path root = repositoryRoot();
    List<String> cmd = new ArrayList<>();
    cmd.add(interpreter(root).toString());
    cmd.add(root.resolve("llm/src/test/python").resolve(script).toString());
    cmd.addAll(args);
    try {
      Files.createDirectories(log.getParent());
      Process p =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new AssertionError(what + " took over " + minutes + " minutes");
      }
      if (p.exitValue() != 0) {
        String out = Files.readString(log, StandardCharsets.UTF_8);
        throw new AssertionError(
            what
                + " failed (exit "
                + p.exitValue()
                + "):\n"
                + out.substring(Math.max(0, out.length() - 4000)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * The Python with torch, transformers, PEFT and TRL: {@code LIANDAN_PYTHON} when set, else the
   * repository's .venv made by tools/pyenv. Missing, the oracle tests fail (they never skip).
   */
  static Path interpreter(Path root) {
    String env = System.getenv("LIANDAN_PYTHON");
    Path py =
        env != null && !env.isBlank() ? Path.of(env) : root.resolve(".venv").resolve("bin/python");
    if (!Files.isExecutable(py)) {
      throw new AssertionError(
          "no Python for the oracle tests at "
              + py
              + ": run tools/pyenv (it makes .venv with torch, transformers, peft and trl), or set"
              + " LIANDAN_PYTHON to such an interpreter");
    }
    return py;
  }

  /** The folder holding tools/pyenv, found upwards from the working directory (llm/ in Maven). */
  static Path repositoryRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("tools/pyenv"))) return p;
    }
    throw new IllegalStateException("no tools/pyenv above " + Path.of("").toAbsolutePath());
  }
}
