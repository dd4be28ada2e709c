// Scenarios 1, 6, 8, 9 and revisions: cache layout, reuse (also of a Python-made cache), datasets,
// local sources.
package io.liandan.activities.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class HubDownloaderTest extends HubFixture {
  private static final Map<String, FakeHub.FakeFile> MAIN_FILES =
      files("config.json", CONFIG, "model.safetensors", WEIGHTS, "tokenizer.json", TOKENIZER);

  @Test
  void freshDownloadProducesHuggingfaceHubCacheLayout() throws IOException {
    Map<String, long[]> progress = new ConcurrentHashMap<>();

    Path snap =
        downloader()
            .download(
                SourceSpec.parse("hf:acme/tiny-qwen"),
                GlobPatterns.ALL,
                (f, done, total) -> progress.put(f, new long[] {done, total}));

    assertEquals(modelDir().resolve("snapshots").resolve(MAIN), snap);
    assertEquals(MAIN, Files.readString(modelDir().resolve("refs").resolve("main")));
    for (var e : MAIN_FILES.entrySet()) {
      Path entry = snap.resolve(e.getKey());
      assertTrue(Files.isSymbolicLink(entry), e.getKey());
      assertEquals(Path.of("../../blobs/" + e.getValue().etag()), Files.readSymbolicLink(entry));
      assertArrayEquals(e.getValue().bytes(), Files.readAllBytes(entry));
      long n = e.getValue().bytes().length;
      assertArrayEquals(new long[] {n, n}, progress.get(e.getKey()), e.getKey());
    }
    assertEquals(
        Set.of(CONFIG.gitSha1(), WEIGHTS.sha256(), TOKENIZER.gitSha1()),
        list(modelDir().resolve("blobs")));
    assertTrue(Files.exists(cacheRoot().resolve(".locks/models--acme--tiny-qwen")));

    FakeHub.Request api = hub.requests().get(0);
    assertEquals("/api/models/acme/tiny-qwen/revision/main", api.path());
    assertEquals("blobs=true", api.query());
    // Files are fetched at the commit the revision resolved to; the LFS file via the CDN redirect.
    List<FakeHub.Request> resolves = hub.requests(r -> r.path().contains("/resolve/"));
    assertEquals(3, resolves.size());
    assertTrue(
        resolves.stream()
            .allMatch(r -> r.path().startsWith("/acme/tiny-qwen/resolve/" + MAIN + "/")));
    assertEquals(1, hub.requests(r -> r.path().startsWith("/cdn/" + WEIGHTS.sha256())).size());
  }

  @Test
  void secondDownloadOfTheSameRevisionMakesOnlyTheRevisionCall() {
    HubDownloader d = downloader();
    Path first = d.download(SourceSpec.model(MODEL_ID));
    int before = hub.requests().size();

    Path second = d.download(SourceSpec.model(MODEL_ID));

    assertEquals(first, second);
    List<FakeHub.Request> after = hub.requests().subList(before, hub.requests().size());
    assertEquals(1, after.size());
    assertTrue(after.get(0).path().startsWith("/api/"));
  }

  @Test
  void cacheLeftByPythonHuggingfaceHubIsFoundAndUsed() throws IOException {
    writePythonCache(MAIN_FILES);

    Path snap = downloader().download(SourceSpec.model(MODEL_ID));

    assertEquals(modelDir().resolve("snapshots").resolve(MAIN), snap);
    assertEquals(List.of(), hub.fileRequests());
    assertArrayEquals(WEIGHTS.bytes(), Files.readAllBytes(snap.resolve("model.safetensors")));
  }

  @Test
  void partlyCachedSnapshotFetchesOnlyTheMissingFiles() throws IOException {
    writePythonCache(files("config.json", CONFIG, "tokenizer.json", TOKENIZER));

    Path snap = downloader().download(SourceSpec.model(MODEL_ID));

    assertEquals(
        Set.of("/acme/tiny-qwen/resolve/" + MAIN + "/model.safetensors"),
        hub.requests(r -> r.path().contains("/resolve/")).stream()
            .map(FakeHub.Request::path)
            .collect(Collectors.toSet()));
    assertArrayEquals(WEIGHTS.bytes(), Files.readAllBytes(snap.resolve("model.safetensors")));
  }

  @Test
  void tagResolvesToItsCommitAndSharedBlobsAreLinkedNotFetched() throws IOException {
    HubDownloader d = downloader();
    Path v1 = d.download(SourceSpec.parse("hf:acme/tiny-qwen@v1.0"));
    Path main = d.download(SourceSpec.parse("hf:acme/tiny-qwen"));

    assertEquals(modelDir().resolve("snapshots").resolve(V1), v1);
    assertEquals(V1, Files.readString(modelDir().resolve("refs").resolve("v1.0")));
    assertArrayEquals(CONFIG_V1.bytes(), Files.readAllBytes(v1.resolve("config.json")));
    assertArrayEquals(CONFIG.bytes(), Files.readAllBytes(main.resolve("config.json")));
    // Same content at both commits: one blob, one download.
    assertEquals(
        Files.readSymbolicLink(v1.resolve("model.safetensors")),
        Files.readSymbolicLink(main.resolve("model.safetensors")));
    assertEquals(
        1,
        hub.requests(r -> r.path().endsWith("/model.safetensors") && r.path().contains("/resolve/"))
            .size());
  }

  @Test
  void commitShaRevisionWritesNoRefAndBranchWithSlashIsEncoded() throws IOException {
    hub.model(MODEL_ID).refs.put("refs/pr/1", V1);
    HubDownloader d = downloader();

    Path bySha = d.download(SourceSpec.parse("hf:acme/tiny-qwen@" + MAIN), "config.json");
    Path byPr = d.download(SourceSpec.parse("hf:acme/tiny-qwen@refs/pr/1"), "config.json");

    assertEquals(modelDir().resolve("snapshots").resolve(MAIN), bySha);
    assertFalse(Files.exists(modelDir().resolve("refs").resolve(MAIN)));
    assertEquals(modelDir().resolve("snapshots").resolve(V1), byPr);
    assertEquals(V1, Files.readString(modelDir().resolve("refs/refs/pr/1")));
    assertTrue(
        hub.requests(r -> r.path().equals("/api/models/acme/tiny-qwen/revision/refs%2Fpr%2F1"))
                .size()
            == 1);
  }

  @Test
  void listingWithoutBlobInfoFallsBackToHeadRequestsForEtags() throws IOException {
    hub.omitBlobInfo();
    try (FakeHub cdn = new FakeHub()) {
      hub.useCdn(cdn); // as on huggingface.co: LFS bytes live on another host

      Path snap = downloader().download(SourceSpec.model(MODEL_ID));

      assertEquals(3, hub.requests(r -> r.method().equals("HEAD")).size());
      assertEquals(
          List.of("GET"),
          cdn.requests().stream().map(FakeHub.Request::method).toList(),
          "the HEAD reads the Hub's 302 (X-Linked-Etag), it does not follow it to the CDN");
      assertEquals(
          Set.of(CONFIG.gitSha1(), WEIGHTS.sha256(), TOKENIZER.gitSha1()),
          list(modelDir().resolve("blobs")));
      for (var e : MAIN_FILES.entrySet())
        assertArrayEquals(e.getValue().bytes(), Files.readAllBytes(snap.resolve(e.getKey())));
    }
  }

  @Test
  void datasetRepoUsesDatasetUrlsAndCacheFolder() throws IOException {
    Path snap = downloader().download(SourceSpec.parse("hf-dataset:acme/tiny-chat"));

    Path repoDir = cacheRoot().resolve("datasets--acme--tiny-chat");
    assertEquals(repoDir.resolve("snapshots").resolve(DATA_MAIN), snap);
    assertEquals(DATA_MAIN, Files.readString(repoDir.resolve("refs/main")));
    Path train = snap.resolve("data/train.jsonl");
    assertEquals(Path.of("../../../blobs/" + TRAIN.gitSha1()), Files.readSymbolicLink(train));
    assertArrayEquals(TRAIN.bytes(), Files.readAllBytes(train));
    assertEquals(
        1, hub.requests(r -> r.path().equals("/api/datasets/acme/tiny-chat/revision/main")).size());
    assertEquals(
        1,
        hub.requests(
                r ->
                    r.path()
                        .equals(
                            "/datasets/acme/tiny-chat/resolve/" + DATA_MAIN + "/data/train.jsonl"))
            .size());
    assertFalse(Files.exists(cacheRoot().resolve("models--acme--tiny-chat")));
  }

  @Test
  void missingRepoRevisionOrMatchingFileFailsNamingIt() {
    HubDownloader d = downloader();

    HubException repo =
        assertThrows(HubException.class, () -> d.download(SourceSpec.model("acme/nope")));
    assertEquals(HubException.Reason.NOT_FOUND, repo.reason());
    assertTrue(
        repo.getMessage().contains("model acme/nope at revision main: repo not found"),
        repo.getMessage());

    HubException rev =
        assertThrows(
            HubException.class, () -> d.download(SourceSpec.parse("hf:acme/tiny-qwen@v9")));
    assertTrue(rev.getMessage().contains("revision not found"), rev.getMessage());
    assertFalse(rev.retryable());

    HubException none =
        assertThrows(HubException.class, () -> d.download(SourceSpec.model(MODEL_ID), "*.bin"));
    assertEquals(HubException.Reason.NOT_FOUND, none.reason());
    assertTrue(none.getMessage().contains("matches allow [*.bin]"), none.getMessage());
    assertTrue(none.getMessage().contains("model.safetensors"), none.getMessage());
  }

  @Test
  void localFolderAndFileSourcesPassThroughWithoutNetwork() throws IOException {
    Path folder = Files.createDirectories(home.resolve("my-model"));
    Files.writeString(folder.resolve("config.json"), "{}");
    Path file = Files.writeString(home.resolve("train.jsonl"), "{}\n");
    HubDownloader d = downloader();

    assertEquals(folder, d.download(SourceSpec.parse(folder.toString())));
    assertEquals(file, d.download(SourceSpec.parse("file:" + file)));
    HubException missing =
        assertThrows(
            HubException.class,
            () -> d.download(SourceSpec.parse(home.resolve("nope").toString())));
    assertTrue(
        missing.getMessage().contains("local source " + home.resolve("nope") + " does not exist"),
        missing.getMessage());
    assertEquals(List.of(), hub.requests());
  }

  /** What Python's huggingface_hub leaves after downloading {@code files} of main. */
  private void writePythonCache(Map<String, FakeHub.FakeFile> files) throws IOException {
    Path snap = Files.createDirectories(modelDir().resolve("snapshots").resolve(MAIN));
    Files.createDirectories(modelDir().resolve("blobs"));
    for (var e : files.entrySet()) {
      Files.write(modelDir().resolve("blobs").resolve(e.getValue().etag()), e.getValue().bytes());
      Files.createSymbolicLink(
          snap.resolve(e.getKey()), Path.of("../../blobs/" + e.getValue().etag()));
    }
    Files.createDirectories(modelDir().resolve("refs"));
    Files.writeString(modelDir().resolve("refs/main"), MAIN);
  }

  private static Set<String> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }
}
