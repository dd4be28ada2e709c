package io.liandan.llm.data.format;

import io.liandan.llm.data.Sample;
import io.liandan.llm.data.io.DatasetException;
import io.liandan.llm.data.io.DatasetException.Kind;
import io.liandan.llm.data.io.Row;
import io.liandan.llm.data.io.RowReader;
import io.liandan.spec.FormatSpec;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The entry point: streams the {@link Sample}s of one dataset file (.jsonl, .json, .parquet) in a
 * given {@link FormatSpec}, one row at a time. A bad row throws a {@link DatasetException} naming
 * file, line (or row) and field, unless {@code skip_invalid} is on: then it is dropped and counted
 * in {@link #stats()}. Blank pretraining text is always dropped and counted. Problems with the file
 * itself always throw. Close it (or the stream) to release the file.
 *
 * <pre>{@code
 * try (Stream<Sample> samples = DatasetReader.stream(path, FormatSpec.of(Format.SHAREGPT))) {
 *   samples.forEach(...);
 * }
 * }</pre>
 */
public final class DatasetReader implements Iterator<Sample>, Closeable {
  private final RowReader rows;
  private final FormatSpec spec;
  private final SampleMapper mapper;
  private final Map<String, Long> skipped = new HashMap<>();
  private final Map<String, String> firstSkipped = new HashMap<>();
  private long rowCount;
  private long sampleCount;
  private Sample next;
  private boolean done;

  public DatasetReader(RowReader rows, FormatSpec spec) {
    this.rows = rows;
    this.spec = spec;
    this.mapper = SampleMapper.of(spec);
  }

  /** Opens {@code file}, reading only the columns the spec uses where the file type allows. */
  public static DatasetReader open(Path file, FormatSpec spec) throws IOException {
    return new DatasetReader(RowReader.open(file, spec.columns().names()), spec);
  }

  /** The file's samples as a stream; closing the stream closes the file. */
  public static Stream<Sample> stream(Path file, FormatSpec spec) throws IOException {
    return open(file, spec).stream();
  }

  /** This reader as a sequential stream that closes the reader when closed. */
  public Stream<Sample> stream() {
    Spliterator<Sample> split =
        Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED | Spliterator.NONNULL);
    return StreamSupport.stream(split, false).onClose(this::closeUnchecked);
  }

  @Override
  public boolean hasNext() {
    if (next == null && !done) {
      next = advance();
      done = next == null;
    }
    return next != null;
  }

  @Override
  public Sample next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Sample sample = next;
    next = null;
    return sample;
  }

  private Sample advance() {
    while (true) {
      Row row;
      try {
        row = rows.next();
      } catch (DatasetException e) {
        rowCount++;
        skipOrThrow(e);
        continue;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (row == null) {
        return null;
      }
      rowCount++;
      try {
        Sample sample = mapper.map(row);
        sampleCount++;
        return sample;
      } catch (DatasetException e) {
        skipOrThrow(e);
      }
    }
  }

  private void skipOrThrow(DatasetException e) {
    boolean skip = e.kind() == Kind.EMPTY_TEXT || (spec.skipInvalid() && e.skippable());
    if (!skip) {
      done = true;
      throw e;
    }
    skipped.merge(e.kind().reason(), 1L, Long::sum);
    firstSkipped.putIfAbsent(e.kind().reason(), e.getMessage());
  }

  /** Rows read, samples produced and rows skipped so far (all of them once the end is reached). */
  public FormatStats stats() {
    return new FormatStats(rowCount, sampleCount, skipped, firstSkipped);
  }

  @Override
  public void close() throws IOException {
    done = true;
    rows.close();
  }

  private void closeUnchecked() {
    try {
      close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
