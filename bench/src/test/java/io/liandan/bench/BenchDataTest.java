package io.liandan.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.llm.train.MicroBatch;
import io.liandan.llm.train.PreferenceBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * bench/side-by-side compares two stacks only if they train on the same ids: BenchData's formula
 * and its Python copy in bench/hf/train_bench.py must agree, step by step, including the prompt /
 * reply split that decides which DPO tokens are trained.
 */
class BenchDataTest {
  static final int B = 4, T = 15, STEPS = 3; // odd T: the prompt is T / 2 on both sides

  @Test
  void pythonSideTrainsOnTheSameIds() throws Exception {
    JsonNode py = python();
    for (int s = 0; s < STEPS; s++) {
      MicroBatch lm = BenchData.batch(s, B, T);
      assertArrayEquals(flat(py.get("rows").get(s)), lm.ids(), "causal-LM ids, step " + s);
      assertArrayEquals(lm.ids(), lm.labels(), "causal-LM labels are the ids");

      PreferenceBatch p = BenchData.pairs(s, B, T);
      for (String side : new String[] {"chosen", "rejected"}) {
        MicroBatch m = side.equals("chosen") ? p.chosen() : p.rejected();
        assertEquals(T, m.seq(), side + ": T tokens, no padding");
        long[] ids = new long[B * T], labels = new long[B * T];
        for (int b = 0; b < B; b++) {
          JsonNode pair = py.get("pairs").get(s).get(b);
          long[] prompt = flat(pair.get("prompt_ids")), reply = flat(pair.get(side + "_ids"));
          assertEquals(T / 2, prompt.length, "prompt length");
          for (int t = 0; t < T; t++) {
            boolean inReply = t >= prompt.length;
            ids[b * T + t] = inReply ? reply[t - prompt.length] : prompt[t];
            labels[b * T + t] = inReply ? ids[b * T + t] : -100; // TRL's completion mask
          }
        }
        assertArrayEquals(ids, m.ids(), side + " ids, step " + s);
        assertArrayEquals(labels, m.labels(), side + " trained tokens, step " + s);
      }
    }
  }

  /** train_bench.py's rows() and pairs() for the same steps, through the project's Python. */
  static JsonNode python() throws Exception {
    Path root = Path.of("").toAbsolutePath().getParent(); // surefire runs in bench/
    String env = System.getenv("LIANDAN_PYTHON");
    Path python = env != null ? Path.of(env) : root.resolve(".venv/bin/python");
    assertTrue(
        Files.isExecutable(python),
        "no Python at " + python + ": run tools/pyenv (or set LIANDAN_PYTHON)");
    String code =
        String.format(
            "import json, sys; sys.path.insert(0, %s); import train_bench as t; "
                + "print(json.dumps({'rows': [t.rows(s, %d, %d) for s in range(%d)], "
                + "'pairs': [t.pairs(s, %d, %d) for s in range(%d)]}))",
            new ObjectMapper().writeValueAsString(root.resolve("bench/hf").toString()),
            B,
            T,
            STEPS,
            B,
            T,
            STEPS);
    Process proc = new ProcessBuilder(python.toString(), "-c", code).start();
    String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(proc.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, proc.waitFor(), "train_bench.py: " + err);
    return new ObjectMapper().readTree(out);
  }

  /** A JSON array of ints, or of int arrays, row-major. */
  static long[] flat(JsonNode n) {
    return StreamSupport.stream(n.spliterator(), false)
        .flatMap(x -> x.isArray() ? StreamSupport.stream(x.spliterator(), false) : Stream.of(x))
        .mapToLong(JsonNode::asLong)
        .toArray();
  }
}
