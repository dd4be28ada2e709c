// What a downloaded file must hash to, derived from its Hub ETag, and the running hash that checks
// it.
package io.liandan.activities.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The Hub's ETag of a file is its content hash: the SHA-256 of the content for LFS (and Xet) files,
 * the git blob SHA-1 ({@code sha1("blob " + size + "\0" + content)}) for files stored in git. It is
 * also the blob's file name in the cache. Any other ETag (a mirror's own) only allows a size check.
 *
 * @param etag the normalised ETag: no {@code W/} prefix, no quotes
 * @param size the file's size in bytes, or -1 if the Hub did not say
 */
public record ContentCheck(String etag, long size) {
  public enum Algorithm {
    SHA256,
    GIT_SHA1,
    SIZE_ONLY
  }

  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern SHA1_HEX = Pattern.compile("[0-9a-f]{40}");
  // The ETag names a file in blobs/: nothing that could climb out of it or hide.
  private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,199}");

  public ContentCheck {
    if (etag == null || !SAFE_NAME.matcher(etag).matches())
      throw new IllegalArgumentException("unusable ETag for a cache file name: " + etag);
  }

  /** {@code W/"abc"} or {@code "abc"} to {@code abc}, like huggingface_hub's _normalize_etag. */
  public static String normalizeEtag(String header) {
    String e = header.strip();
    if (e.startsWith("W/")) e = e.substring(2);
    if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\""))
      e = e.substring(1, e.length() - 1);
    return e;
  }

  public Algorithm algorithm() {
    if (SHA256_HEX.matcher(etag).matches()) return Algorithm.SHA256;
    // The git header needs the size up front.
    if (SHA1_HEX.matcher(etag).matches() && size >= 0) return Algorithm.GIT_SHA1;
    return Algorithm.SIZE_ONLY;
  }

  /** A fresh hash over the file's content; feed it the bytes from offset 0. */
  public Hasher newHasher() {
    return new Hasher(algorithm(), size);
  }

  /** Hashes the bytes of a file (the resumed prefix of a download). */
  public Hasher hashFile(Path file) throws IOException {
    Hasher h = newHasher();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      for (int r; (r = in.read(buf)) > 0; ) h.update(ByteBuffer.wrap(buf, 0, r));
    }
    return h;
  }

  /** The running hash of a download and the count of bytes it has seen. */
  public static final class Hasher {
    private final MessageDigest digest;
    private long count;

    private Hasher(Algorithm algorithm, long size) {
      try {
        digest =
            switch (algorithm) {
              case SHA256 -> MessageDigest.getInstance("SHA-256");
              case GIT_SHA1 -> MessageDigest.getInstance("SHA-1");
              case SIZE_ONLY -> null;
            };
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("the JDK always has SHA-256 and SHA-1", e);
      }
      if (algorithm == Algorithm.GIT_SHA1)
        digest.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
    }

    /** Consumes the buffer's remaining bytes. */
    public void update(ByteBuffer bytes) {
      count += bytes.remaining();
      if (digest != null) digest.update(bytes);
      else bytes.position(bytes.limit());
    }

    public long count() {
      return count;
    }

    /** The hex digest (ends this hasher), or null for a size-only check. */
    public String hex() {
      return digest == null ? null : HexFormat.of().formatHex(digest.digest());
    }
  }
}
