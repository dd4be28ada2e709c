// Cache paths and writes: symlinks, refs, refusal of file names that leave the snapshot, blob
// locks.
package io.liandan.activities.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubCacheTest {
  private static final HubRepo REPO = HubRepo.model("acme/tiny-qwen");
  private static final String SHA = "1111111111111111111111111111111111111111";

  @TempDir Path root;

  @Test
  void linksNestedFilesWithRelativeSymlinksAndReplacesStaleOnes() throws IOException {
    HubCache cache = new HubCache(root);
    Path blob = cache.blobPath(REPO, "abc123");
    Files.createDirectories(blob.getParent());
    Files.writeString(blob, "x");
    Path pointer = cache.pointerPath(REPO, SHA, "a/b/c.txt");
    Files.createDirectories(pointer.getParent());
    Files.createSymbolicLink(pointer, Path.of("../../../../blobs/gone")); // dangling

    cache.link(blob, pointer);

    assertEquals(Path.of("../../../../blobs/abc123"), Files.readSymbolicLink(pointer));
    assertEquals("x", Files.readString(pointer));
    assertEquals(java.util.List.of("a/b/c.txt"), cache.snapshotFiles(cache.snapshotDir(REPO, SHA)));
  }

  @Test
  void refusesFileNamesThatLeaveTheSnapshot() {
    HubCache cache = new HubCache(root);
    for (String bad : new String[] {"../x", "a/../../x", "/etc/passwd", "./x", ""}) {
      HubException e = assertThrows(HubException.class, () -> cache.pointerPath(REPO, SHA, bad));
      assertTrue(e.getMessage().contains("refusing file name"), bad);
    }
  }

  @Test
  void refsAreWrittenWithoutNewlineAndReadBack() throws IOException {
    HubCache cache = new HubCache(root);
    cache.writeRef(REPO, "main", SHA);
    cache.writeRef(REPO, SHA, SHA); // a sha names itself: no refs/<sha>

    Path ref = root.resolve("models--acme--tiny-qwen/refs/main");
    assertEquals(SHA, Files.readString(ref));
    assertFalse(Files.exists(ref.resolveSibling(SHA)));
    assertEquals(Optional.of(SHA), cache.cachedCommit(REPO, "main"));
    assertEquals(Optional.of(SHA), cache.cachedCommit(REPO, SHA));
    assertEquals(Optional.empty(), cache.cachedCommit(REPO, "dev"));
    Files.writeString(ref, "not a sha");
    assertEquals(Optional.empty(), cache.cachedCommit(REPO, "main"));
  }

  @Test
  void blobLockMakesASecondHolderWait() throws Exception {
    HubCache cache = new HubCache(root);
    CompletableFuture<Void> second;
    try (HubCache.BlobLock lock = cache.lockBlob(REPO, "abc123")) {
      second =
          CompletableFuture.runAsync(
              () -> {
                try (HubCache.BlobLock again = cache.lockBlob(REPO, "abc123")) {
                  // got it
                }
              });
      assertThrows(TimeoutException.class, () -> second.get(200, TimeUnit.MILLISECONDS));
    }
    second.get(5, TimeUnit.SECONDS);
    assertTrue(Files.exists(root.resolve(".locks/models--acme--tiny-qwen/abc123.lock")));
  }
}
