package io.liandan.llm.data.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.liandan.llm.data.io.Json;
import io.liandan.llm.data.io.TestFiles;
import java.io.BufferedWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files far bigger than the heap are read in a forked JVM with -Xmx64m: a ~200 MB JSONL file, a
 * ~100 MB JSON array and a multi-row-group Parquet file. Reading any of them whole would need
 * several times the heap (Jackson trees take ~3-5x the text), so finishing proves streaming.
 */
class StreamingTest {
  @TempDir Path dir;

  static final String PARAGRAPH =
      "炼丹是中国机器学习工程师对训练模型的戏称：调参如同炼丹，火候不到则丹不成。"
          + " Training a model is like alchemy: too little heat and nothing forms, too much and"
          + " everything burns. ";

  /** One ShareGPT row of about 1 KB. */
  static String row(long i) {
    String question = "第 " + i + " 个问题：" + PARAGRAPH;
    String answer = "Answer " + i + ": " + PARAGRAPH + PARAGRAPH;
    return "{\"conversations\": [{\"from\": \"human\", \"value\": \""
        + question
        + "\"}, {\"from\": \"gpt\", \"value\": \""
        + answer
        + "\"}]}";
  }

  static long rowChars(long i) {
    return ("第 " + i + " 个问题：" + PARAGRAPH).length()
        + ("Answer " + i + ": " + PARAGRAPH + PARAGRAPH).length();
  }

  @Test
  void bigFilesStreamThroughA64MiBHeap() throws Exception {
    long jsonlRows = 0;
    long jsonlChars = 0;
    Path jsonl = dir.resolve("big.jsonl");
    try (Writer out =
        new BufferedWriter(Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8), 1 << 16)) {
      while (Files.size(jsonl) < 200L << 20 || jsonlRows % 4096 != 0) {
        out.write(row(jsonlRows));
        out.write('\n');
        jsonlChars += rowChars(jsonlRows);
        jsonlRows++;
        if (jsonlRows % 4096 == 0) {
          out.flush();
        }
      }
    }
    long arrayRows = 0;
    long arrayChars = 0;
    Path array = dir.resolve("big.json");
    try (Writer out =
        new BufferedWriter(Files.newBufferedWriter(array, StandardCharsets.UTF_8), 1 << 16)) {
      out.write("[\n");
      for (; arrayRows < jsonlRows / 2; arrayRows++) {
        out.write(arrayRows == 0 ? "  " : ",\n  ");
        out.write(row(arrayRows));
        arrayChars += rowChars(arrayRows);
      }
      out.write("\n]\n");
    }
    List<ObjectNode> parquetRows = new ArrayList<>();
    long parquetChars = 0;
    for (int i = 0; i < 60_000; i++) {
      parquetRows.add((ObjectNode) Json.MAPPER.readTree(row(i)));
      parquetChars += rowChars(i);
    }
    Path parquet =
        TestFiles.parquet(
            dir.resolve("big.parquet"), parquetRows, CompressionCodecName.SNAPPY, 10_000);
    parquetRows = null;
    assertTrue(Files.size(jsonl) >= 200L << 20);

    Path log = dir.resolve("probe.log");
    Process probe =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m",
                "-cp",
                System.getProperty("java.class.path"),
                StreamingProbe.class.getName(),
                jsonl.toString(),
                array.toString(),
                parquet.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    if (!probe.waitFor(5, TimeUnit.MINUTES)) {
      probe.destroyForcibly();
      throw new AssertionError("probe did not finish in 5 minutes: " + Files.readString(log));
    }
    String output = Files.readString(log);
    assertEquals(0, probe.exitValue(), output);
    List<String> lines = output.lines().filter(l -> l.startsWith(dir.toString())).toList();
    assertEquals(
        List.of(
            jsonl + " " + jsonlRows + " " + jsonlChars,
            array + " " + arrayRows + " " + arrayChars,
            parquet + " " + 60_000 + " " + parquetChars),
        lines.stream().map(l -> l.substring(0, l.lastIndexOf(' '))).toList(), // last: peak MiB
        output);
  }
}
