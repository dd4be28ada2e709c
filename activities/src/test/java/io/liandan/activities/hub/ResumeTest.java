// Scenarios 2–4: a cut connection, a killed process and corrupted bytes, against the fake Hub.
package io.liandan.activities.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class ResumeTest extends HubFixture {
  private static final SourceSpec MODEL = SourceSpec.model(MODEL_ID);

  private List<FakeHub.Request> weightGets() {
    return hub.requests(r -> r.path().startsWith("/cdn/" + WEIGHTS.sha256()));
  }

  private Path blob(FakeHub.FakeFile f) {
    return modelDir().resolve("blobs").resolve(f.etag());
  }

  private Path incomplete(FakeHub.FakeFile f) {
    return modelDir().resolve("blobs").resolve(f.etag() + ".incomplete");
  }

  @Test
  void connectionCutMidFileResumesWithRangeAndGivesIdenticalBytes() throws IOException {
    hub.cutOnce("model.safetensors", 100_000);
    Map<String, Long> lastDone = new ConcurrentHashMap<>();

    Path snap =
        downloader().download(MODEL, GlobPatterns.ALL, (f, done, total) -> lastDone.put(f, done));

    List<FakeHub.Request> gets = weightGets();
    assertEquals(2, gets.size(), "one cut request, one resumed request");
    assertNull(gets.get(0).header("Range"));
    assertEquals("bytes=100000-", gets.get(1).header("Range"));
    // The resumed request went through the Hub's resolve URL again, with the same Range.
    List<FakeHub.Request> resolves =
        hub.requests(r -> r.path().endsWith("/resolve/" + MAIN + "/model.safetensors"));
    assertEquals("bytes=100000-", resolves.get(1).header("Range"));
    assertArrayEquals(WEIGHTS.bytes(), Files.readAllBytes(snap.resolve("model.safetensors")));
    assertFalse(Files.exists(incomplete(WEIGHTS)));
    assertEquals(WEIGHTS.bytes().length, lastDone.get("model.safetensors"));
  }

  @Test
  void connectionCutInAGitFileServedWithoutRedirectResumesToo() throws IOException {
    hub.cutOnce("tokenizer.json", 20);

    Path snap = downloader().download(MODEL, "tokenizer.json");

    List<FakeHub.Request> gets =
        hub.requests(r -> r.path().endsWith("/resolve/" + MAIN + "/tokenizer.json"));
    assertEquals(2, gets.size());
    assertEquals("bytes=20-", gets.get(1).header("Range"));
    assertArrayEquals(TOKENIZER.bytes(), Files.readAllBytes(snap.resolve("tokenizer.json")));
  }

  @Test
  void stalledBodyIsAbandonedAfterTheIdleTimeoutAndResumed() throws IOException {
    hub.stallOnce("model.safetensors", 50_000, 4_000); // the client's idle limit is 1 s

    long start = System.nanoTime();
    Path snap = downloader().download(MODEL, "model.safetensors");

    assertTrue(System.nanoTime() - start < 3_500_000_000L, "gave up on the stall before it ended");
    List<FakeHub.Request> gets = weightGets();
    assertEquals(2, gets.size());
    assertEquals("bytes=50000-", gets.get(1).header("Range"));
    assertArrayEquals(WEIGHTS.bytes(), Files.readAllBytes(snap.resolve("model.safetensors")));
  }

  @Test
  void serverThatIgnoresRangeRestartsTheFileFromZero() throws IOException {
    hub.ignoreRange();
    hub.cutOnce("model.safetensors", 100_000);

    Path snap = downloader().download(MODEL, "model.safetensors");

    assertEquals("bytes=100000-", weightGets().get(1).header("Range"));
    assertArrayEquals(WEIGHTS.bytes(), Files.readAllBytes(snap.resolve("model.safetensors")));
  }

  @Test
  void transientServerErrorsAreRetriedThenGiveUpWithTheFileNamed() {
    hub.serverErrors("config.json", 2);
    Path snap = downloader().download(MODEL, "config.json");
    assertTrue(Files.exists(snap.resolve("config.json")));
    assertEquals(3, hub.requests(r -> r.path().endsWith("/config.json")).size());

    hub.serverErrors("tokenizer.json", 100); // more than the 4 attempts
    HubException e =
        assertThrows(HubException.class, () -> downloader().download(MODEL, "tokenizer.json"));
    assertEquals(HubException.Reason.NETWORK, e.reason());
    assertTrue(e.retryable());
    assertTrue(e.getMessage().contains("tokenizer.json of model acme/tiny-qwen"), e.getMessage());
    assertTrue(e.getMessage().contains("4 times"), e.getMessage());
  }

  @Test
  void leftoverIncompleteFileOfAKilledProcessIsResumedFromItsLength() throws IOException {
    int k = 123_457;
    Files.createDirectories(incomplete(WEIGHTS).getParent());
    Files.write(incomplete(WEIGHTS), Arrays.copyOf(WEIGHTS.bytes(), k));

    Path snap = downloader().download(MODEL);

    List<FakeHub.Request> gets = weightGets();
    assertEquals(1, gets.size());
    assertEquals("bytes=" + k + "-", gets.get(0).header("Range"));
    assertArrayEquals(WEIGHTS.bytes(), Files.readAllBytes(snap.resolve("model.safetensors")));
    assertFalse(Files.exists(incomplete(WEIGHTS)));
  }

  @Test
  void completeIncompleteFileIsVerifiedAndMovedWithoutARequest() throws IOException {
    // Killed after the last byte, before the rename.
    Files.createDirectories(incomplete(WEIGHTS).getParent());
    Files.write(incomplete(WEIGHTS), WEIGHTS.bytes());

    downloader().download(MODEL);

    assertEquals(0, weightGets().size());
    assertArrayEquals(WEIGHTS.bytes(), Files.readAllBytes(blob(WEIGHTS)));
  }

  @Test
  void corruptLeftoverFailsTheChecksumIsDeletedAndTheNextAttemptStartsClean() throws IOException {
    Files.createDirectories(incomplete(WEIGHTS).getParent());
    Files.write(incomplete(WEIGHTS), randomBytes(1000, 99));

    HubException e = assertThrows(HubException.class, () -> downloader().download(MODEL));
    assertEquals(HubException.Reason.CHECKSUM_MISMATCH, e.reason());
    assertFalse(Files.exists(incomplete(WEIGHTS)));

    Path snap = downloader().download(MODEL);
    assertNull(weightGets().get(1).header("Range"), "started from zero");
    assertArrayEquals(WEIGHTS.bytes(), Files.readAllBytes(snap.resolve("model.safetensors")));
  }

  @Test
  void corruptedLfsBytesAreRejectedNamingFileAndBothHashes() {
    hub.corrupt("model.safetensors");

    HubException e = assertThrows(HubException.class, () -> downloader().download(MODEL));

    assertEquals(HubException.Reason.CHECKSUM_MISMATCH, e.reason());
    String actual = FakeHub.hex("SHA-256", FakeHub.corrupted(WEIGHTS.bytes()));
    String m = e.getMessage();
    assertTrue(m.contains("model.safetensors of model acme/tiny-qwen at " + MAIN), m);
    assertTrue(m.contains("expected sha256 " + WEIGHTS.sha256()), m);
    assertTrue(m.contains("got sha256 " + actual), m);
    assertEquals(1, weightGets().size(), "a mismatch is not retried within the call");
    assertFalse(Files.exists(blob(WEIGHTS)));
    assertFalse(Files.exists(incomplete(WEIGHTS)));
    assertFalse(
        Files.exists(modelDir().resolve("snapshots").resolve(MAIN).resolve("model.safetensors")));
    assertFalse(
        Files.exists(modelDir().resolve("refs").resolve("main")), "no ref to a failed snapshot");
  }

  @Test
  void corruptedGitFileIsRejectedAgainstItsGitBlobSha1() {
    hub.corrupt("config.json");

    HubException e =
        assertThrows(HubException.class, () -> downloader().download(MODEL, "config.json"));

    FakeHub.FakeFile bad = new FakeHub.FakeFile(FakeHub.corrupted(CONFIG.bytes()), false);
    assertTrue(e.getMessage().contains("expected git sha1 " + CONFIG.gitSha1()), e.getMessage());
    assertTrue(e.getMessage().contains("got git sha1 " + bad.gitSha1()), e.getMessage());
    assertFalse(Files.exists(blob(CONFIG)));
    assertFalse(Files.exists(incomplete(CONFIG)));
  }
}
