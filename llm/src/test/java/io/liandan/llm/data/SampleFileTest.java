package io.liandan.llm.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleFileTest {
  @Test
  void everyKindRoundTripsAndNothingAppearsBeforeClose(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("samples.jsonl");
    List<Sample> in =
        List.of(
            new Sample.Text("李白是唐代诗人。", new Origin("wiki.jsonl", 3)),
            new Sample.Chat(
                List.of(
                    new Message("system", "be brief"),
                    new Message("user", "天气?"),
                    new Message(
                        "assistant",
                        "",
                        List.of(
                            Map.of(
                                "type",
                                "function",
                                "function",
                                Map.of("name", "weather", "arguments", "{\"city\":\"北京\"}")))),
                    new Message("tool", "晴"),
                    new Message("assistant", "晴天")),
                List.of(Map.of("type", "function")),
                new Origin("chat.parquet", 0)),
            new Sample.Preference(
                List.of(new Message("user", "2+2?")),
                new Message("assistant", "4"),
                new Message("assistant", "5"),
                new Origin("p.json", 9)),
            new Sample.Kto(
                List.of(new Message("user", "2+2?")),
                new Message("assistant", "5"),
                false,
                new Origin("k.jsonl", 3)));
    try (SampleFile.Writer w = new SampleFile.Writer(f)) {
      in.forEach(w::write);
      assertFalse(Files.exists(f), "no final name before commit");
      w.commit();
    }
    assertTrue(Files.readString(f).contains("\"tool_calls\""));
    try (SampleFile.Writer w = new SampleFile.Writer(dir.resolve("aborted.jsonl"))) {
      w.write(in.get(0)); // no commit: as if the stage failed here
    }
    assertEquals(List.of(f), Files.list(dir).toList(), "an aborted writer leaves nothing");
    List<Sample> out = new ArrayList<>();
    try (var it = SampleFile.read(f)) {
      it.forEachRemaining(out::add);
    }
    assertEquals(in, out);
  }
}
