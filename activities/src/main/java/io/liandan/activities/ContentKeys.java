package io.liandan.activities;

import io.liandan.contracts.StageKeys;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Content keys of the pipeline's sources: a Hugging Face snapshot is named by its commit (the Hub
 * already addresses it by content), a local file or folder by the SHA-256 of its files' relative
 * paths and bytes.
 */
final class ContentKeys {
  private ContentKeys() {}

  static String of(Path path) {
    Path p = path.toAbsolutePath().normalize();
    for (int i = 0; i + 1 < p.getNameCount(); i++)
      if (p.getName(i).toString().equals("snapshots") && i > 0)
        return StageKeys.sha256("hub:" + p.subpath(i - 1, p.getNameCount())).substring(0, 16);
    try {
      MessageDigest all = MessageDigest.getInstance("SHA-256");
      List<Path> files;
      if (Files.isDirectory(p)) {
        try (Stream<Path> walk = Files.walk(p)) {
          files = walk.filter(Files::isRegularFile).sorted().toList();
        }
      } else files = List.of(p);
      for (Path f : files) {
        String rel = Files.isDirectory(p) ? p.relativize(f).toString() : f.getFileName().toString();
        all.update((rel + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        all.update(fileHash(f));
      }
      return HexFormat.of().formatHex(all.digest()).substring(0, 16);
    } catch (IOException e) {
      throw new UncheckedIOException(p + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] fileHash(Path f) throws IOException, NoSuchAlgorithmException {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (InputStream in = new DigestInputStream(Files.newInputStream(f), md)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    return md.digest();
  }
}
