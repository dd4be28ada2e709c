package io.liandan.llm.data.io;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.llm.data.Origin;
import io.liandan.llm.data.io.DatasetException.Kind;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Parquet through parquet-java's own reader on a local file ({@link LocalInputFile}, no Hadoop
 * FileSystem): one row group's column chunks in memory at a time, rows materialised as Jackson
 * objects by {@link ParquetJson}. Rows are numbered from 0 across row groups, as in {@code
 * dataset[i]}. Reads SNAPPY, ZSTD, GZIP, LZ4_RAW and uncompressed files (not BROTLI).
 */
final class ParquetRowReader implements RowReader {
  private final String file;
  private final ParquetFileReader reader;
  private final MessageType schema;
  private final MessageColumnIO columns;
  private RecordReader<ObjectNode> rows;
  private long left;
  private long row = -1;

  ParquetRowReader(Path path, Set<String> wanted) throws IOException {
    this.file = path.toString();
    ParquetReadOptions options =
        ParquetReadOptions.builder(new PlainParquetConfiguration()).build();
    try {
      this.reader = ParquetFileReader.open(new LocalInputFile(path), options);
    } catch (IOException | RuntimeException e) {
      throw DatasetException.file(file, "not a readable Parquet file: " + e.getMessage(), e);
    }
    try {
      MessageType full = reader.getFooter().getFileMetaData().getSchema();
      this.schema = project(full, wanted);
      reader.setRequestedSchema(schema);
      this.columns = new ColumnIOFactory().getColumnIO(schema, full, true);
    } catch (RuntimeException e) {
      reader.close();
      throw e;
    }
  }

  /**
   * The file's top-level fields that are wanted, in file order; every field when wanted is null.
   */
  private MessageType project(MessageType full, Set<String> wanted) {
    if (wanted == null) {
      return full;
    }
    List<Type> fields =
        full.getFields().stream().filter(f -> wanted.contains(f.getName())).toList();
    if (fields.isEmpty()) {
      String have = full.getFields().stream().map(Type::getName).collect(Collectors.joining(", "));
      throw DatasetException.file(
          file, "none of the columns " + wanted + " is in this file; its columns: " + have, null);
    }
    return new MessageType(full.getName(), fields);
  }

  /** Total rows in the file, from its footer. */
  long rowCount() {
    return reader.getRecordCount();
  }

  @Override
  public Row next() throws IOException {
    while (left == 0) {
      PageReadStore pages;
      try {
        pages = reader.readNextRowGroup();
      } catch (IOException | RuntimeException e) {
        throw DatasetException.fatal(
            Kind.FILE, new Origin(file, row + 1), "cannot read row group: " + e.getMessage(), e);
      }
      if (pages == null) {
        return null;
      }
      left = pages.getRowCount();
      rows = columns.getRecordReader(pages, new ParquetJson(schema));
    }
    row++;
    left--;
    Origin origin = new Origin(file, row);
    try {
      return new Row(rows.read(), origin);
    } catch (RuntimeException e) {
      throw DatasetException.fatal(Kind.FILE, origin, "cannot decode row: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws IOException {
    reader.close();
  }
}
