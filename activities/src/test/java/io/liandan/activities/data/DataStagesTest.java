package io.liandan.activities.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.activities.hub.HubDownloader;
import io.liandan.activities.hub.HubEnv;
import io.liandan.llm.data.tokenize.TokenShards;
import io.liandan.llm.data.tokenize.TokenizeManifest;
import io.liandan.spec.DatasetInput;
import io.liandan.spec.Format;
import io.liandan.spec.FormatSpec;
import io.liandan.spec.TokenizeSpec;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * format → tokenize over a local dataset and the real Qwen tokenizer, as a pipeline chains them.
 */
class DataStagesTest {
  static final Path QWEN = Path.of("../llm/src/test/resources/fixtures/qwen-tokenizer");

  /** A model folder with the fixture's tokenizer (gunzipped) and tokenizer_config.json. */
  static Path modelDir(Path dir) throws Exception {
    Path m = Files.createDirectories(dir.resolve("model"));
    try (InputStream in =
        new GZIPInputStream(Files.newInputStream(QWEN.resolve("tokenizer.json.gz")))) {
      Files.copy(in, m.resolve("tokenizer.json"));
    }
    Files.copy(QWEN.resolve("tokenizer_config.json"), m.resolve("tokenizer_config.json"));
    return m;
  }

  @Test
  void sharegptDatasetBecomesMaskedShards(@TempDir Path dir) throws Exception {
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      rows.append("{\"conversations\": [{\"from\": \"human\", \"value\": \"第")
          .append(i)
          .append("个问题\"}, {\"from\": \"gpt\", \"value\": \"answer ")
          .append(i)
          .append("\"}]}\n");
    }
    Files.writeString(dir.resolve("chat.jsonl"), rows);
    FormatService format =
        new FormatService(
            HubDownloader.create(
                HubEnv.from(Map.of("HF_HUB_CACHE", dir.resolve("hub").toString()))));
    format.format(
        List.of(
            new DatasetInput(
                dir.resolve("chat.jsonl").toString(),
                List.of(),
                FormatSpec.of(Format.SHAREGPT),
                null)),
        dir.resolve("formatted"));
    TokenizeManifest m =
        new TokenizeService()
            .tokenize(
                dir.resolve("formatted"),
                modelDir(dir),
                TokenizeSpec.sft(512, false, 0.25, 42),
                dir.resolve("tokens"));
    assertEquals(40, m.samplesRead());
    assertEquals(40, m.splits().get("train").samples() + m.splits().get("eval").samples());
    assertTrue(m.splits().get("eval").samples() > 0);
    TokenShards train = m.open(dir.resolve("tokens"), "train");
    TokenShards.Segment s = train.segment(0);
    int trained = 0;
    for (byte b : s.mask()) trained += b;
    assertTrue(trained > 0 && trained < s.ids().length, "only the reply is trained");
    assertEquals(151645, s.ids()[s.ids().length - 2]); // ...<|im_end|> \n
    assertEquals(1, s.mask()[s.ids().length - 2]);
    assertEquals(0, s.mask()[s.ids().length - 1]);
  }
}
