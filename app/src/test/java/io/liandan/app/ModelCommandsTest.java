package io.liandan.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.llm.safetensors.SafetensorsFile;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The inspection CLI end to end, as users and acceptance checks call it. */
class ModelCommandsTest {
  static final Path FIX =
      Path.of("../llm/src/test/resources/fixtures").toAbsolutePath().normalize();
  static final Path TIED = FIX.resolve("qwen2-tiny-tied"),
      UNTIED = FIX.resolve("qwen2-tiny-untied");

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter(), err = new StringWriter();
    var cl = Liandan.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  /** {@code model forward}: {@code input}'s logits from {@code model} (with {@code adapter}). */
  static Run forward(Path model, Path adapter, Path input, Path output) {
    List<String> args = new ArrayList<>(List.of("model", "forward", "--model", model.toString()));
    if (adapter != null) args.addAll(List.of("--adapter", adapter.toString()));
    args.addAll(List.of("--input", input.toString(), "--output", output.toString()));
    return run(args.toArray(String[]::new));
  }

  /** {@code model merge}: {@code adapter} merged into {@code model}, written to {@code output}. */
  static Run merge(Path model, Path adapter, Path output) {
    return run(
        "model",
        "merge",
        "--model",
        model.toString(),
        "--adapter",
        adapter.toString(),
        "--output",
        output.toString());
  }

  /**
   * {@code model generate}: 20 new ids after the fixture's prompt from UNTIED, then {@code more}.
   */
  static Run generate(String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "model",
                "generate",
                "--model",
                UNTIED.toString(),
                "--prompt-ids",
                "5,17,99,123,7",
                "--max-new-tokens",
                "20"));
    args.addAll(List.of(more));
    return run(args.toArray(String[]::new));
  }

  static float maxAbsDiff(Path a, String ka, Path b, String kb) {
    try (NDManager m = NDManager.newBaseManager();
        SafetensorsFile fa = SafetensorsFile.open(a);
        SafetensorsFile fb = SafetensorsFile.open(b)) {
      NDArray x = m.create(fa.readFloat32(ka), new Shape(fa.info(ka).shape()));
      NDArray y = m.create(fb.readFloat32(kb), new Shape(fb.info(kb).shape()));
      assertEquals(x.getShape(), y.getShape());
      return x.sub(y).abs().max().getFloat();
    }
  }

  @Test
  void forwardWritesTransformersLogits(@TempDir Path tmp) {
    Path in = TIED.resolve("expected_logits.safetensors"), out = tmp.resolve("out.safetensors");
    Run r = forward(TIED, null, in, out);
    assertEquals(0, r.code(), r.err());
    assertTrue(maxAbsDiff(in, "logits", out, "logits") <= 1e-4);
  }

  @Test
  void generatePrintsTransformersGreedyIds() throws Exception {
    var expected = new ObjectMapper().readTree(UNTIED.resolve("expected_generate.json").toFile());
    Run r = generate();
    assertEquals(0, r.code(), r.err());
    assertEquals(expected.get("greedy"), new ObjectMapper().readTree(r.out()));
  }

  /**
   * --dtype bfloat16 keeps the matrices in bf16: the continuation has the requested length and
   * begins as transformers' float32 greedy one does (bf16 moves logits by ~0.5 %, which can flip a
   * near tie later on a random model); an unknown dtype is a usage error.
   */
  @Test
  void generateInBf16ContinuesAsFloat32BeginsAndRefusesAnUnknownDtype() throws Exception {
    var expected = new ObjectMapper().readTree(UNTIED.resolve("expected_generate.json").toFile());
    Run r = generate("--dtype", "bfloat16");
    assertEquals(0, r.code(), r.err());
    var got = new ObjectMapper().readTree(r.out());
    assertEquals(expected.get("greedy").size(), got.size());
    for (int i = 0; i < 6; i++) assertEquals(expected.get("greedy").get(i), got.get(i), "id " + i);
    Run bad = generate("--dtype", "fp8");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("--dtype must be float32 or bfloat16, not 'fp8'"), bad.err());
  }

  @Test
  void mergedCheckpointGivesTheAdapterLogits(@TempDir Path tmp) {
    Path in = UNTIED.resolve("lora/expected_lora_logits.safetensors");
    Path merged = tmp.resolve("merged");
    assertEquals(0, merge(UNTIED, UNTIED.resolve("lora"), merged).code());
    assertTrue(
        Files.exists(merged.resolve("config.json"))
            && Files.exists(merged.resolve("generation_config.json")));
    Path withAdapter = tmp.resolve("a.safetensors"), fromMerged = tmp.resolve("b.safetensors");
    assertEquals(0, forward(UNTIED, UNTIED.resolve("lora"), in, withAdapter).code());
    assertEquals(0, forward(merged, null, in, fromMerged).code());
    assertTrue(maxAbsDiff(withAdapter, "logits", fromMerged, "logits") <= 1e-5);
    Run again = merge(UNTIED, UNTIED.resolve("lora"), merged);
    assertEquals(2, again.code());
    assertTrue(again.err().contains("not empty"), again.err());
  }

  @Test
  void badInputIsOneLineNamingTheFile(@TempDir Path tmp) throws Exception {
    Path in = tmp.resolve("in.safetensors");
    new io.liandan.llm.safetensors.SafetensorsWriter()
        .put("ids", new long[] {1, 2}, 1, 2)
        .write(in);
    Run r = forward(TIED, null, in, tmp.resolve("o"));
    assertEquals(2, r.code());
    assertTrue(r.err().contains(in.toString()) && r.err().contains("input_ids"), r.err());
    assertTrue(!Files.exists(tmp.resolve("o")), "nothing half-written");
  }
}
