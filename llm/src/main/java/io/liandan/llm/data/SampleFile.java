package io.liandan.llm.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The format stage's output and the tokenize stage's input: normalised samples as JSON Lines
 * ({"kind":"chat","messages":[…],"origin":{…}}), written under a temporary name and renamed when
 * complete, read back streaming.
 */
public final class SampleFile {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectWriter WRITER = JSON.writerFor(Sample.class);
  private static final ObjectReader READER = JSON.readerFor(Sample.class);

  private SampleFile() {}

  /**
   * A writer that becomes {@code file} on {@link #commit()}; nothing appears under that name
   * before.
   */
  public static final class Writer implements AutoCloseable {
    private final Path file, tmp;
    private final BufferedWriter out;
    private long count;
    private boolean committed;

    public Writer(Path file) {
      this.file = file;
      this.tmp = file.resolveSibling(file.getFileName() + ".tmp");
      try {
        Files.createDirectories(file.toAbsolutePath().getParent());
        out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
      }
    }

    public void write(Sample s) {
      try {
        out.write(WRITER.writeValueAsString(s));
        out.write('\n');
        count++;
      } catch (IOException e) {
        throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
      }
    }

    public long count() {
      return count;
    }

    /** Finishes the file: only now does it appear under its final name. */
    public void commit() {
      try {
        out.close();
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        committed = true;
      } catch (IOException e) {
        throw new UncheckedIOException(file + ": cannot finish: " + e.getMessage(), e);
      }
    }

    /** Without {@link #commit()} (an exception on the way), the partial file is removed. */
    @Override
    public void close() {
      if (committed) return;
      try {
        out.close();
        Files.deleteIfExists(tmp);
      } catch (IOException e) {
        throw new UncheckedIOException(file + ": cannot clean up: " + e.getMessage(), e);
      }
    }
  }

  /** Streams the samples of {@code file}; close the returned iterator's reader via try. */
  public static CloseableIterator read(Path file) {
    try {
      return new CloseableIterator(file, Files.newBufferedReader(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** An iterator over a sample file that must be closed. */
  public static final class CloseableIterator implements Iterator<Sample>, AutoCloseable {
    private final Path file;
    private final BufferedReader in;
    private String next;
    private long line;

    CloseableIterator(Path file, BufferedReader in) {
      this.file = file;
      this.in = in;
      advance();
    }

    private void advance() {
      try {
        next = in.readLine();
        line++;
      } catch (IOException e) {
        throw new UncheckedIOException(file + ":" + line + ": " + e.getMessage(), e);
      }
    }

    @Override
    public boolean hasNext() {
      return next != null;
    }

    @Override
    public Sample next() {
      if (next == null) throw new NoSuchElementException();
      try {
        Sample s = READER.readValue(next);
        advance();
        return s;
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalArgumentException(
            file + ":" + line + ": not a normalised sample: " + e.getOriginalMessage(), e);
      }
    }

    @Override
    public void close() {
      try {
        in.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
