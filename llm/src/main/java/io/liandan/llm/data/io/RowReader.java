package io.liandan.llm.data.io;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * Streams the rows of a dataset file, one at a time, so a multi-GB file never sits in memory
 * (JSONL: one line; JSON array: one element; Parquet: one row group's pages).
 *
 * <p>A {@link DatasetException} that is {@link DatasetException#skippable() skippable} leaves the
 * reader on the next row; any other ends it.
 */
public interface RowReader extends Closeable {

  /** The next row, or null at the end of the file. */
  Row next() throws IOException;

  /** Opens {@code file}, its type told by its name ({@link FileType#of}), reading every column. */
  static RowReader open(Path file) throws IOException {
    return open(file, null);
  }

  /**
   * Opens {@code file}; {@code columns} (top-level names, null for all) lets Parquet skip columns
   * that are not needed, such as images. JSON rows are always read whole.
   */
  static RowReader open(Path file, Set<String> columns) throws IOException {
    FileType type = FileType.of(file);
    String name = file.toString();
    if (!Files.isRegularFile(file)) {
      throw DatasetException.file(name, "no such file", new NoSuchFileException(name));
    }
    if (type == FileType.PARQUET) {
      return new ParquetRowReader(file, columns);
    }
    InputStream in = Files.newInputStream(file);
    try {
      if (FileType.gzipped(file)) {
        in = new GZIPInputStream(in, 1 << 16);
      }
      BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
      JsonArrayRowReader.skipBom(buffered);
      if (type == FileType.JSON && JsonArrayRowReader.startsWithArray(buffered)) {
        return new JsonArrayRowReader(buffered, name);
      }
      return new JsonlRowReader(buffered, name, type == FileType.JSON);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }
}
