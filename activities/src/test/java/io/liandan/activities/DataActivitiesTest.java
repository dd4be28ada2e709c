package io.liandan.activities;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.activities.hub.HubDownloader;
import io.liandan.activities.hub.HubEnv;
import io.liandan.contracts.ArtifactStore;
import io.liandan.contracts.DataActivities;
import io.liandan.contracts.FailureTypes;
import io.liandan.contracts.FormatPayload;
import io.liandan.contracts.PrepareRequest;
import io.liandan.contracts.Prepared;
import io.liandan.contracts.StageKeys;
import io.liandan.contracts.StageRef;
import io.liandan.contracts.StageResult;
import io.liandan.contracts.TokenizePayload;
import io.liandan.llm.data.tokenize.TokenizeManifest;
import io.liandan.spec.DatasetInput;
import io.liandan.spec.Format;
import io.liandan.spec.FormatSpec;
import io.liandan.spec.TrainingArgs;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CPU stages through Temporal's activity test environment, with the real services. */
class DataActivitiesTest {
  static final Path QWEN = Path.of("../llm/src/test/resources/fixtures/qwen-tokenizer");
  @TempDir Path dir;
  TestActivityEnvironment env;
  DataActivities data;
  ArtifactStore store;

  @BeforeEach
  void setUp() {
    env = TestActivityEnvironment.newInstance();
    store = new ArtifactStore(dir.resolve("home"));
    HubDownloader hub =
        HubDownloader.create(
            HubEnv.from(Map.of("HF_HUB_OFFLINE", "1", "HF_HOME", dir.resolve("hf").toString())));
    env.registerActivitiesImplementations(
        new DataActivitiesImpl(new StageRunner(store, new Tracking(null), null), hub));
    data = env.newActivityStub(DataActivities.class, OneAttempt.options(Duration.ofSeconds(10)));
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  @Test
  void formatThenTokenizeAreCachedByContentKey() throws Exception {
    Path model = dir.resolve("model");
    Files.createDirectories(model);
    try (InputStream in =
        new GZIPInputStream(Files.newInputStream(QWEN.resolve("tokenizer.json.gz")))) {
      Files.copy(in, model.resolve("tokenizer.json"));
    }
    Files.copy(QWEN.resolve("tokenizer_config.json"), model.resolve("tokenizer_config.json"));
    Path chat = dir.resolve("chat.jsonl");
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 20; i++)
      rows.append("{\"instruction\":\"add ")
          .append(i)
          .append(" and 1\",\"output\":\"")
          .append(i + 1)
          .append("\"}\n");
    Files.writeString(chat, rows);
    DatasetInput input =
        new DatasetInput(chat.toString(), List.of(), FormatSpec.of(Format.ALPACA), "train");

    Prepared p =
        data.download(
            new PrepareRequest(
                "p1",
                "p1",
                "test",
                new ObjectMapper().createObjectNode().put("name", "x"),
                model.toString(),
                Map.of("chat", input)));
    assertEquals(model.toString(), p.modelDir());
    assertEquals(16, p.datasetKeys().get("chat").length());
    assertTrue(
        Files.exists(store.pipelineDir("p1").resolve("spec.json")), "spec stored for resume");

    TrainingArgs args = TrainingArgs.defaults();
    String fKey = StageKeys.key("format", List.of(input), p.datasetKeys().get("chat"));
    StageResult f =
        data.format(new FormatPayload(ref("format-sft", "format", fKey), List.of(input)));
    assertFalse(f.cached());
    assertEquals(20.0, f.metrics().get("train_samples"));
    assertTrue(Files.exists(Path.of(f.out(), StageResult.MARKER)));

    String tKey = StageKeys.key("tokenize", args.tokenizeSpec("sft", 0.1), fKey, p.modelKey());
    TokenizePayload tok =
        new TokenizePayload(
            ref("tokenize-sft", "tokenize", tKey),
            f.out(),
            p.modelDir(),
            args.tokenizeSpec("sft", 0.1));
    StageResult t = data.tokenize(tok);
    TokenizeManifest m = TokenizeManifest.read(Path.of(t.out()));
    assertEquals(20, m.samplesRead());
    assertEquals(t.metrics().get("train_samples") + t.metrics().get("eval_samples"), 20.0);

    // again: nothing runs, the marker is untouched, the result says cached
    long marked = Files.getLastModifiedTime(Path.of(t.out(), StageResult.MARKER)).toMillis();
    StageResult again = data.tokenize(tok);
    assertTrue(again.cached());
    assertEquals(t.out(), again.out());
    assertEquals(
        marked, Files.getLastModifiedTime(Path.of(t.out(), StageResult.MARKER)).toMillis());

    // a changed dataset changes its key, so the stage runs anew elsewhere
    Files.writeString(chat, rows.append("{\"instruction\":\"x\",\"output\":\"y\"}\n"));
    Prepared p2 =
        data.download(
            new PrepareRequest("p2", "p2", "test", null, model.toString(), Map.of("chat", input)));
    assertNotEquals(p.datasetKeys().get("chat"), p2.datasetKeys().get("chat"));
    assertEquals(p.modelKey(), p2.modelKey());
  }

  @Test
  void aPartialFolderIsRedoneAndMissingFilesAreBadInput() throws Exception {
    Path chat = dir.resolve("chat.jsonl");
    Files.writeString(chat, "{\"instruction\":\"a\",\"output\":\"b\"}\n");
    DatasetInput input =
        new DatasetInput(chat.toString(), List.of(), FormatSpec.of(Format.ALPACA), "train");
    Path partial = store.dir("format", "0123456789abcdef");
    Files.createDirectories(partial);
    Files.writeString(partial.resolve("train.jsonl"), "half a line");
    StageResult f =
        data.format(
            new FormatPayload(ref("format-sft", "format", "0123456789abcdef"), List.of(input)));
    assertEquals(1.0, f.metrics().get("train_samples"));
    assertFalse(Files.readString(partial.resolve("train.jsonl")).contains("half a line"));

    ActivityFailure e =
        assertThrows(
            ActivityFailure.class,
            () ->
                data.download(
                    new PrepareRequest(
                        "p3",
                        "p3",
                        "test",
                        null,
                        dir.resolve("nope").toString(),
                        Map.of("chat", input))));
    ApplicationFailure a = assertInstanceOf(ApplicationFailure.class, e.getCause());
    assertTrue(a.isNonRetryable());
    assertTrue(
        a.getOriginalMessage().contains("model: folder " + dir.resolve("nope") + " does not exist"),
        a.getOriginalMessage());
  }

  @Test
  void badRowsFailOnTheFirstAttemptNonRetryablyNamingLineAndField() throws Exception {
    for (String[] bad :
        List.of(
            new String[] {"{\"instruction\":\"a\",\"output\":\"b\"}\n{not json\n", "bad.jsonl:2"},
            new String[] {"{\"instruction\":\"a\"}\n", "output"})) {
      Path chat = dir.resolve("bad.jsonl");
      Files.writeString(chat, bad[0]);
      DatasetInput input =
          new DatasetInput(chat.toString(), List.of(), FormatSpec.of(Format.ALPACA), "train");
      ActivityFailure e =
          assertThrows(
              ActivityFailure.class,
              () ->
                  data.format(
                      new FormatPayload(
                          ref("format-sft", "format", "fedcba9876543210"), List.of(input))));
      ApplicationFailure a = assertInstanceOf(ApplicationFailure.class, e.getCause());
      assertEquals(FailureTypes.BAD_INPUT, a.getType(), a.toString());
      assertTrue(a.isNonRetryable(), "a retry cannot fix " + a.getOriginalMessage());
      assertTrue(a.getOriginalMessage().contains(bad[1]), a.getOriginalMessage());
    }
  }

  static StageRef ref(String name, String kind, String key) {
    return new StageRef("p1", "p1", "test", name, kind, key, 0);
  }
}
