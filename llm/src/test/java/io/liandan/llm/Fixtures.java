package io.liandan.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.liandan.llm.safetensors.SafetensorsFile;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The Hugging Face reference fixtures (test resources, copied from shared/fixtures/hf-reference)
 * and the comparisons the tests make against them.
 */
public final class Fixtures {
  private Fixtures() {}

  /** A path under the fixtures folder, e.g. "qwen2-tiny-untied/lora". */
  public static Path path(String rel) {
    try {
      return Path.of(Fixtures.class.getResource("/fixtures/" + rel).toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw new IllegalStateException("missing test fixture " + rel, e);
    }
  }

  /** Reads tensor {@code name} of a fixture safetensors file onto {@code m} (float32 or int64). */
  public static NDArray read(NDManager m, String file, String name) {
    return read(m, path(file), name);
  }

  /** Reads tensor {@code name} of any safetensors file onto {@code m} (float32 or int64). */
  public static NDArray read(NDManager m, Path file, String name) {
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      Shape shape = new Shape(f.tensors().get(name).shape());
      return switch (f.tensors().get(name).dtype()) {
        case I64, I32 -> m.create(f.readInt64(name), shape);
        default -> m.create(f.readFloat32(name), shape);
      };
    }
  }

  /** max |actual - expected| ≤ tol, shapes equal. */
  public static double assertMaxAbs(NDArray expected, NDArray actual, double tol, String what) {
    assertSameShape(expected, actual, what);
    double diff = maxAbs(expected, actual);
    assertTrue(diff <= tol, what + ": max abs diff " + diff + " > " + tol);
    return diff;
  }

  /** max |actual - expected| / max |expected| ≤ tol (relative to the tensor's scale). */
  public static double assertRel(NDArray expected, NDArray actual, double tol, String what) {
    assertSameShape(expected, actual, what);
    double rel = relDiff(expected, actual);
    assertTrue(rel <= tol, what + ": relative diff " + rel + " > " + tol);
    return rel;
  }

  private static void assertSameShape(NDArray expected, NDArray actual, String what) {
    assertArrayEquals(
        expected.getShape().getShape(), actual.getShape().getShape(), what + " shape");
  }

  /**
   * The bound for a gradient compared with a peer's float32 one: {@code base}, or ten times the
   * peer's own float32 error against its float64 gradient where a random draw is ill-conditioned
   * enough that float32 itself strays further. On a well-conditioned draw the peer's own error is
   * ~1e-6 and the bound stays {@code base}; on an ill-conditioned one two float32 implementations
   * round differently and one can land 10× further from the exact value than the other (seed
   * 690487409, case2, sigmoid: TRL 1.65e-5 from float64, Liandan 1.60e-4, while the same case's
   * other six losses agree with TRL's error to 1.5×; seed 439189298, case3: PEFT's own 3.1e-4). A
   * float64 reference with NaNs (transformers' float64 eager attention on a row whose keys a
   * sliding window masks entirely) speaks only where it is finite: the peer's error is measured on
   * those entries. Where every entry is NaN nothing tells how ill-conditioned the draw is, and the
   * bound is twice {@code base}: on such a draw (seed 843166775, case4: Gemma 2 with scores
   * soft-capped at 0.5 after a query gain of 20, logits at 1.0, a sliding window, left padding;
   * ORPO) Liandan's gradient was 1.15e-4 from TRL's, before and after the head went into pieces,
   * while a wrong gradient is off by far more than 2e-4.
   */
  public static double gradBound(double base, NDArray exact64, NDArray peer32) {
    float[] exact = exact64.toFloatArray(), peer = peer32.toFloatArray();
    double diff = 0, scale = 0;
    boolean any = false;
    for (int i = 0; i < exact.length; i++) {
      if (!Float.isFinite(exact[i])) continue;
      any = true;
      diff = Math.max(diff, Math.abs(exact[i] - peer[i]));
      scale = Math.max(scale, Math.abs(exact[i]));
    }
    double own = diff / Math.max(scale, 1e-30);
    return any && Double.isFinite(own) ? Math.max(base, 10 * own) : 2 * base;
  }

  /** max |actual - expected| / max |expected|: the measure {@link #assertRel} bounds. */
  public static double relDiff(NDArray expected, NDArray actual) {
    double scale = expected.abs().max().getFloat();
    return maxAbs(expected, actual) / Math.max(scale, 1e-30);
  }

  /**
   * PEFT's name of an adapter tensor as a live model holds it: with the adapter's name, "default"
   * (its saved files leave it out).
   */
  public static String peftLiveName(String ours) {
    return ours.replace(".lora_A.weight", ".lora_A.default.weight")
        .replace(".lora_B.weight", ".lora_B.default.weight");
  }

  /** Every adapter parameter's gradient against {@code file}'s "grad.NAME" (≤ tol relative). */
  public static void assertPeftGradients(
      NDManager m, String file, Map<String, NDArray> params, double tol) {
    for (var e : params.entrySet()) {
      assertRel(
          read(m, file, "grad." + peftLiveName(e.getKey())),
          e.getValue().getGradient(),
          tol,
          "grad " + e.getKey());
    }
  }

  public static double maxAbs(NDArray a, NDArray b) {
    return a.sub(b).abs().max().getFloat();
  }
}
