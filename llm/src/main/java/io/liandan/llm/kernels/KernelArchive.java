package io.liandan.llm.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes the kernel module as a TorchScript archive without Python: a zip holding {@code version},
 * an empty {@code constants.pkl}, a {@code data.pkl} that pickles one {@code __torch__.Ops} object
 * with state {@code {"training": True}}, and the TorchScript source ({@code ops.py}, a resource) as
 * {@code code/__torch__.py}. libtorch compiles the source when the archive is loaded.
 */
final class KernelArchive {
  static final String SOURCE = "ops.py";

  private KernelArchive() {}

  /** Protocol 2: GLOBAL '__torch__ Ops', EMPTY_TUPLE, NEWOBJ, {"training": True}, BUILD, STOP. */
  private static final byte[] DATA_PKL = dataPickle();

  /** An empty tuple, protocol 2. */
  private static final byte[] CONSTANTS_PKL = {(byte) 0x80, 2, ')', '.'};

  /** Writes the archive to a new temporary file, deleted when the JVM exits. */
  static Path writeTemp() {
    try {
      Path file = Files.createTempFile("liandan-kernels-", ".pt");
      file.toFile().deleteOnExit();
      try (OutputStream out = Files.newOutputStream(file)) {
        write(out);
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the kernel archive", e);
    }
  }

  static void write(OutputStream out) throws IOException {
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      put(zip, "archive/version", "10\n".getBytes(StandardCharsets.US_ASCII));
      put(zip, "archive/constants.pkl", CONSTANTS_PKL);
      put(zip, "archive/data.pkl", DATA_PKL);
      put(zip, "archive/code/__torch__.py", source().getBytes(StandardCharsets.UTF_8));
    }
  }

  /** The TorchScript source of the kernels. */
  static String source() {
    try (InputStream in = KernelArchive.class.getResourceAsStream(SOURCE)) {
      if (in == null) throw new IllegalStateException("resource " + SOURCE + " missing");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void put(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
    zip.putNextEntry(new ZipEntry(name));
    zip.write(bytes);
    zip.closeEntry();
  }

  private static byte[] dataPickle() {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    b.write(0x80); // PROTO 2
    b.write(2);
    b.writeBytes("c__torch__\nOps\n".getBytes(StandardCharsets.US_ASCII)); // GLOBAL
    b.write(')'); // EMPTY_TUPLE
    b.write(0x81); // NEWOBJ
    b.write('}'); // EMPTY_DICT
    b.write('('); // MARK
    byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
    b.write('X'); // BINUNICODE, 4-byte little-endian length
    b.write(key.length);
    b.write(0);
    b.write(0);
    b.write(0);
    b.writeBytes(key);
    b.write(0x88); // NEWTRUE
    b.write('u'); // SETITEMS
    b.write('b'); // BUILD
    b.write('.'); // STOP
    return b.toByteArray();
  }
}
