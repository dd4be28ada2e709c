package io.liandan.activities.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.activities.hub.HubDownloader;
import io.liandan.activities.hub.HubEnv;
import io.liandan.llm.data.Sample;
import io.liandan.llm.data.SampleFile;
import io.liandan.spec.DatasetInput;
import io.liandan.spec.Format;
import io.liandan.spec.FormatSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The format stage over local datasets: splits, stats, and errors that name file and line. */
class FormatServiceTest {
  static FormatService service(Path cache) {
    return new FormatService(
        HubDownloader.create(
            HubEnv.from(Map.of("HF_HUB_CACHE", cache.toString(), "HF_HUB_OFFLINE", "1"))));
  }

  static List<Sample> read(Path f) {
    List<Sample> out = new ArrayList<>();
    try (var it = SampleFile.read(f)) {
      it.forEachRemaining(out::add);
    }
    return out;
  }

  @Test
  void trainAndEvalDatasetsBecomeNormalisedSampleFiles(@TempDir Path dir) throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(
        data.resolve("a.jsonl"),
        """
        {"instruction": "李白是谁?", "input": "", "output": "唐代诗人。"}
        {"instruction": "Translate", "input": "你好", "output": "Hello"}
        """);
    Files.writeString(
        data.resolve("b.jsonl"),
        """
        {"instruction": "2+2?", "input": "", "output": "4"}
        """);
    Files.writeString(
        dir.resolve("dev.jsonl"),
        """
        {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}
        """);
    Path out = dir.resolve("out");
    FormatService.Result r =
        service(dir.resolve("cache"))
            .format(
                List.of(
                    new DatasetInput(
                        data.toString(), List.of("*.jsonl"), FormatSpec.of(Format.ALPACA), null),
                    new DatasetInput(
                        dir.resolve("dev.jsonl").toString(),
                        List.of(),
                        FormatSpec.of(Format.SHAREGPT),
                        "eval")),
                out);
    assertEquals(3, r.trainSamples());
    assertEquals(1, r.evalSamples());
    List<Sample> train = read(r.train());
    Sample.Chat first = (Sample.Chat) train.get(0);
    assertEquals("李白是谁?", first.messages().get(0).content());
    assertTrue(first.origin().file().endsWith("a.jsonl") && first.origin().line() == 1);
    assertTrue(read(r.eval()).get(0) instanceof Sample.Chat);
    assertTrue(Files.readString(out.resolve("format_stats.json")).contains("b.jsonl"));
  }

  @Test
  void aBadRowFailsNamingFileLineAndField(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bad.jsonl");
    Files.writeString(
        f, "{\"instruction\": \"q\", \"output\": \"a\"}\n{\"instruction\": \"q2\"}\n");
    var e =
        assertThrows(
            RuntimeException.class,
            () ->
                service(dir.resolve("cache"))
                    .format(
                        List.of(
                            new DatasetInput(
                                f.toString(), List.of(), FormatSpec.of(Format.ALPACA), null)),
                        dir.resolve("out")));
    assertTrue(
        e.getMessage().contains("bad.jsonl:2") && e.getMessage().contains("output"),
        e.getMessage());
    assertTrue(
        !Files.exists(dir.resolve("out/train.jsonl")),
        "no half-written output under the final name");
  }
}
