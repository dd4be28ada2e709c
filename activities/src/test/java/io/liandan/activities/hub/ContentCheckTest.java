// ETag normalisation and the two hashes the Hub uses as ETags, checked against git and sha256sum
// values.
package io.liandan.activities.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ContentCheckTest {
  @Test
  void normalizesEtagsLikeHuggingfaceHub() {
    assertEquals("abc", ContentCheck.normalizeEtag("\"abc\""));
    assertEquals("abc", ContentCheck.normalizeEtag("W/\"abc\""));
    assertEquals("abc", ContentCheck.normalizeEtag("abc"));
  }

  @Test
  void gitBlobSha1MatchesGitHashObject() {
    // `printf 'hello\n' | git hash-object --stdin`
    String git = "ce013625030ba8dba906f756967f9e9ca394464a";
    ContentCheck check = new ContentCheck(git, 6);
    assertEquals(ContentCheck.Algorithm.GIT_SHA1, check.algorithm());
    ContentCheck.Hasher h = check.newHasher();
    // in two pieces, as chunks arrive
    h.update(ByteBuffer.wrap("hel".getBytes(StandardCharsets.US_ASCII)));
    h.update(ByteBuffer.wrap("lo\n".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(6, h.count());
    assertEquals(git, h.hex());
  }

  @Test
  void sha256EtagHashesTheContent() {
    // `printf 'hello\n' | sha256sum`
    String sha = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
    ContentCheck.Hasher h = new ContentCheck(sha, -1).newHasher();
    h.update(ByteBuffer.wrap("hello\n".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(sha, h.hex());
  }

  @Test
  void otherEtagsOnlyCheckTheSizeAndMustBeSafeFileNames() {
    ContentCheck mirror = new ContentCheck("5d41402abc4b2a76-3", 10);
    assertEquals(ContentCheck.Algorithm.SIZE_ONLY, mirror.algorithm());
    assertNull(mirror.newHasher().hex());
    assertThrows(IllegalArgumentException.class, () -> new ContentCheck("../../etc/passwd", 1));
    assertThrows(IllegalArgumentException.class, () -> new ContentCheck("", 1));
  }
}
