// The repos the Hub tests download, a running FakeHub, and a client wired to it with fast retries.
package io.liandan.activities.hub;

import io.liandan.activities.hub.FakeHub.FakeFile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny model {@code acme/tiny-qwen} (main → {@link #MAIN}, tag v1.0 → {@link #V1}, which shares
 * model.safetensors with main but has another config.json) and a dataset {@code acme/tiny-chat}.
 */
abstract class HubFixture {
  static final String MODEL_ID = "acme/tiny-qwen";
  static final String DATASET_ID = "acme/tiny-chat";
  static final String MAIN = "1111111111111111111111111111111111111111";
  static final String V1 = "2222222222222222222222222222222222222222";
  static final String DATA_MAIN = "3333333333333333333333333333333333333333";

  static final FakeFile CONFIG =
      FakeFile.git("{\"architectures\": [\"Qwen2ForCausalLM\"], \"hidden_size\": 64}\n");
  static final FakeFile CONFIG_V1 =
      FakeFile.git("{\"architectures\": [\"Qwen2ForCausalLM\"], \"hidden_size\": 32}\n");
  static final FakeFile WEIGHTS = FakeFile.lfs(randomBytes(300_000, 7));
  static final FakeFile TOKENIZER =
      FakeFile.git("{\"version\": \"1.0\", \"model\": {\"type\": \"BPE\"}}\n");
  static final FakeFile TRAIN =
      FakeFile.git(
          "{\"prompt\": \"hi\", \"completion\": \"hello\"}\n{\"prompt\": \"1+1\", \"completion\": \"2\"}\n");
  static final FakeFile README = FakeFile.git("# tiny-chat\n");

  @TempDir Path home;
  FakeHub hub;

  @BeforeEach
  void startHub() throws IOException {
    hub = new FakeHub();
    hub.model(MODEL_ID)
        .commit(
            MAIN,
            files("config.json", CONFIG, "model.safetensors", WEIGHTS, "tokenizer.json", TOKENIZER),
            "main")
        .commit(V1, files("config.json", CONFIG_V1, "model.safetensors", WEIGHTS), "v1.0");
    hub.dataset(DATASET_ID)
        .commit(DATA_MAIN, files("README.md", README, "data/train.jsonl", TRAIN), "main");
  }

  @AfterEach
  void stopHub() {
    hub.close();
  }

  /** The environment a test passes: this hub, a cache under the temp dir, plus extras. */
  Map<String, String> env(String... extra) {
    Map<String, String> env = new HashMap<>();
    env.put("HF_ENDPOINT", hub.endpoint());
    env.put("HF_HOME", home.resolve("hf").toString());
    for (int i = 0; i < extra.length; i += 2) env.put(extra[i], extra[i + 1]);
    return env;
  }

  /** A downloader for {@link #env}, with millisecond backoffs and a 1 s stall limit. */
  HubDownloader downloader(String... extraEnv) {
    HubEnv e = HubEnv.from(env(extraEnv));
    HubHttp http =
        new HubHttp(e, Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(1));
    RetryPolicy retry = new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(20));
    return new HubDownloader(
        e, new HubApi(http, retry), new HubCache(e.hubCache()), new BlobDownloader(http, retry));
  }

  Path cacheRoot() {
    return home.resolve("hf").resolve("hub");
  }

  Path modelDir() {
    return cacheRoot().resolve("models--acme--tiny-qwen");
  }

  static Map<String, FakeFile> files(Object... pathsAndFiles) {
    Map<String, FakeFile> m = new LinkedHashMap<>();
    for (int i = 0; i < pathsAndFiles.length; i += 2)
      m.put((String) pathsAndFiles[i], (FakeFile) pathsAndFiles[i + 1]);
    return m;
  }

  static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }
}
