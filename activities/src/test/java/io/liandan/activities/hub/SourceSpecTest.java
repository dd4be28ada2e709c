// Parsing of source strings: the accepted forms, round trips, and the errors for the rest.
package io.liandan.activities.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SourceSpecTest {
  @Test
  void hubModelWithDefaultRevision() {
    SourceSpec s = SourceSpec.parse("hf:Qwen/Qwen2.5-0.5B-Instruct");
    assertEquals(HubRepo.model("Qwen/Qwen2.5-0.5B-Instruct"), s.repo());
    assertEquals("main", s.revision());
    assertFalse(s.isLocal());
    assertEquals("hf:Qwen/Qwen2.5-0.5B-Instruct", s.toString());
  }

  @Test
  void revisionsAfterTheAt() {
    assertEquals("v1.0", SourceSpec.parse("hf:Qwen/Qwen2.5-0.5B-Instruct@v1.0").revision());
    SourceSpec pr = SourceSpec.parse("hf-dataset:org/name@refs/pr/1");
    assertEquals(HubRepo.dataset("org/name"), pr.repo());
    assertEquals("refs/pr/1", pr.revision());
    assertEquals("hf-dataset:org/name@refs/pr/1", pr.toString());
    String sha = "7ae557604adf67be50417f59c2c2f167def9a775";
    assertEquals(sha, SourceSpec.parse("hf:gpt2@" + sha).revision()); // a name without org, too
  }

  @Test
  void localPathsAndFileUris() {
    assertEquals(Path.of("/data/models/qwen"), SourceSpec.parse("/data/models/qwen").localPath());
    assertEquals(Path.of("./train.jsonl"), SourceSpec.parse("./train.jsonl").localPath());
    assertEquals(Path.of("/data/x"), SourceSpec.parse("file:/data/x").localPath());
    assertTrue(SourceSpec.parse("models/qwen").isLocal());
  }

  @Test
  void readsAndWritesJsonAsTheString() throws Exception {
    ObjectMapper json = new ObjectMapper();
    SourceSpec s = json.readValue("\"hf:org/name@v2\"", SourceSpec.class);
    assertEquals(SourceSpec.hub(HubRepo.model("org/name"), "v2"), s);
    assertEquals("\"hf:org/name@v2\"", json.writeValueAsString(s));
  }

  @Test
  void badSourcesSayWhatIsWrong() {
    assertError("", "empty source");
    assertError("hf:", "missing repo id in 'hf:'");
    assertError("hf:org/name@", "empty revision after '@'");
    assertError("hf:org//name", "invalid Hub repo id 'org//name'");
    assertError("hf:org/na me", "invalid Hub repo id");
    assertError("hf:a/b/c", "invalid Hub repo id");
    assertError("hf:org--x/y", "no '--'");
    assertError("hf:-org/y", "invalid Hub repo id");
    assertError("hf://org/name", "write hf:org/name, without '//'");
    assertError("hf:org/name@../../etc", "invalid revision '../../etc'");
    assertError("s3://bucket/model", "unsupported source 's3://bucket/model'");
    assertError(
        "hf-model:org/name", "expected hf:org/name[@revision], hf-dataset:org/name[@revision]");
  }

  private static void assertError(String source, String expected) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SourceSpec.parse(source));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
