package io.liandan.tracker.embedded;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

/**
 * The embedded PostgreSQL's superuser password: generated once into {@code <home>/db-password}
 * (created with mode 0600, so only the home's owner reads it) and read from there afterwards.
 * Letters and digits only, so that it can be written into {@code ALTER ROLE … PASSWORD '…'} and an
 * initdb password file without any quoting.
 */
public final class DbPassword {
  private static final String ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

  private DbPassword() {}

  /** The password file of the home that holds {@code dataDir}. */
  public static Path fileFor(Path dataDir) {
    return dataDir.toAbsolutePath().resolveSibling("db-password");
  }

  public static String readOrCreate(Path file) throws IOException {
    if (!Files.exists(file)) {
      Files.createDirectories(file.getParent());
      SecureRandom random = new SecureRandom();
      StringBuilder pw = new StringBuilder();
      for (int i = 0; i < 32; i++) {
        pw.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
      }
      try {
        // created 0600 in one step: never readable by others, not even for a moment
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, pw + "\n", StandardCharsets.UTF_8, StandardOpenOption.WRITE);
      } catch (FileAlreadyExistsException raced) {
        // another process created it first: use theirs
      }
    }
    return read(file);
  }

  public static String read(Path file) throws IOException {
    String pw = Files.readString(file, StandardCharsets.UTF_8).strip();
    if (pw.isEmpty() || !pw.chars().allMatch(c -> ALPHABET.indexOf(c) >= 0)) {
      throw new IOException(
          file
              + " must hold one password of letters and digits (delete it only together with"
              + " the data folder beside it)");
    }
    return pw;
  }
}
