package io.liandan.llm.generate;

import static io.liandan.llm.Fixtures.path;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Generation against transformers' greedy output, batching, EOS and seeded sampling. */
class GeneratorTest {

  @ParameterizedTest
  @ValueSource(strings = {"qwen2-tiny-tied", "qwen2-tiny-untied"})
  void greedyIdsEqualTransformers(String name) throws Exception {
    JsonNode expected =
        new ObjectMapper().readTree(path(name + "/expected_generate.json").toFile());
    long[] prompt = ids(expected.get("prompt")), greedy = ids(expected.get("greedy"));
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path(name), m)) {
      long[] out =
          new Generator(new Decoder(w)).generate(List.of(prompt), SamplingConfig.greedy(20)).get(0);
      assertArrayEquals(greedy, out);
    }
  }

  @Test
  void leftPaddedBatchEqualsOneByOne() {
    long[] a = {5, 17, 99, 123, 7}, b = {42, 8};
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path("qwen2-tiny-tied"), m)) {
      Generator g = new Generator(new Decoder(w));
      List<long[]> batch = g.generate(List.of(a, b), SamplingConfig.greedy(12));
      assertArrayEquals(g.generate(List.of(a), SamplingConfig.greedy(12)).get(0), batch.get(0));
      assertArrayEquals(g.generate(List.of(b), SamplingConfig.greedy(12)).get(0), batch.get(1));
    }
  }

  @Test
  void stopsAtEosAndSamplingIsSeeded() {
    long[] p = {5, 17, 99, 123, 7};
    try (NDManager m = NDManager.newBaseManager();
        DecoderWeights w = DecoderWeights.load(path("qwen2-tiny-untied"), m)) {
      Generator g = new Generator(new Decoder(w));
      // 927 is the untied model's second greedy token: generation must end right after it
      long[] stopped =
          g.generate(List.of(p), SamplingConfig.greedy(20).withEos(Set.of(927L), 0)).get(0);
      assertArrayEquals(new long[] {5, 17, 99, 123, 7, 791, 927}, stopped);
      SamplingConfig s = new SamplingConfig(15, true, 1.5, 50, 0.9, 7, Set.of(), 0);
      long[] x = g.generate(List.of(p), s).get(0), y = g.generate(List.of(p), s).get(0);
      assertArrayEquals(x, y, "same seed, same tokens");
      SamplingConfig other = new SamplingConfig(15, true, 1.5, 50, 0.9, 8, Set.of(), 0);
      assertFalse(
          java.util.Arrays.equals(x, g.generate(List.of(p), other).get(0)), "another seed differs");
      SamplingConfig topOne = new SamplingConfig(20, true, 1.0, 1, 1.0, 3, Set.of(), 0);
      assertArrayEquals(
          g.generate(List.of(p), SamplingConfig.greedy(20)).get(0),
          g.generate(List.of(p), topOne).get(0),
          "top_k 1 = greedy");
      assertEquals(20, x.length);
    }
  }

  static long[] ids(JsonNode n) {
    long[] a = new long[n.size()];
    for (int i = 0; i < a.length; i++) a[i] = n.get(i).asLong();
    return a;
  }
}
