package io.liandan.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactStoreTest {
  @TempDir Path home;

  @Test
  void aStageFolderKeepsTheRunKeyOfThePipelineThatStartedIt() throws Exception {
    ArtifactStore store = new ArtifactStore(home);
    Path sft = store.dir("sft", "5eed");
    Files.createDirectories(sft);
    assertEquals("p1/sft", store.runKey(sft, "p1/sft"));
    // a new pipeline id resuming the same folder logs to the first one's run
    assertEquals("p1/sft", store.runKey(sft, "p2/sft"));
    assertEquals("p1/sft", new ArtifactStore(home).runKey(sft, "p3/sft"), "across processes");
    assertFalse(
        Files.exists(sft.resolve(ArtifactStore.RUN_KEY_FILE + ".tmp")), "written then renamed");

    // a cleared folder (a stage that starts over) starts a run of its own
    store.clear(sft);
    Files.createDirectories(sft);
    assertEquals("p2/sft", store.runKey(sft, "p2/sft"));
  }

  @Test
  void aBrokenRecordIsAnErrorThatNamesTheFile() throws Exception {
    ArtifactStore store = new ArtifactStore(home);
    Path sft = Files.createDirectories(store.dir("sft", "bad"));
    Files.writeString(sft.resolve(ArtifactStore.RUN_KEY_FILE), "{\"key\":");
    RuntimeException e = assertThrows(RuntimeException.class, () -> store.runKey(sft, "p/sft"));
    assertTrue(e.getMessage().contains(ArtifactStore.RUN_KEY_FILE), e.getMessage());
  }
}
