package io.liandan.llm.data.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.llm.data.Message;
import io.liandan.llm.data.Origin;
import io.liandan.llm.data.Sample;
import io.liandan.llm.data.io.DatasetException;
import io.liandan.llm.data.io.DatasetException.Kind;
import io.liandan.llm.data.io.FileType;
import io.liandan.llm.data.io.TestFiles;
import io.liandan.spec.Format;
import io.liandan.spec.FormatSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The kto format in TRL's and LLaMA-Factory's layouts: good rows become Sample.Kto with the right
 * prompt, completion and label; bad rows fail with file:line: field, as the other formats.
 */
class KtoFormatTest {
  @TempDir Path dir;

  private static final Message Q = new Message("user", "熊猫吃什么？");
  private static final Message A = new Message("assistant", "熊猫吃竹子。");

  private List<Sample> read(Path file, FormatSpec spec) throws IOException {
    List<Sample> out = new ArrayList<>();
    try (DatasetReader reader = DatasetReader.open(file, spec)) {
      reader.forEachRemaining(out::add);
    }
    return out;
  }

  /** A JSONL file of {@code rows}, written with ' for " (see {@link #json}). */
  private Path jsonl(String... rows) throws IOException {
    List<String> lines = Stream.of(rows).map(KtoFormatTest::json).toList();
    return Files.writeString(
        dir.resolve("kto.jsonl"), String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
  }

  private static String json(String singleQuoted) {
    return singleQuoted.replace('\'', '"');
  }

  /** The dataset_info.json entry {@code singleQuoted} (see {@link #json}), which must read KTO. */
  private static FormatSpec ktoSpec(String singleQuoted) {
    FormatSpec spec = FormatSpec.parse(json(singleQuoted));
    assertEquals(Format.KTO, spec.format());
    return spec;
  }

  /** {@code sample} is a KTO example of {@code prompt}, completion {@link #A}, so labelled. */
  private static void assertKto(List<Message> prompt, boolean desirable, Sample sample) {
    Sample.Kto k = (Sample.Kto) sample;
    assertEquals(prompt, k.prompt());
    assertEquals(A, k.completion());
    assertEquals(desirable, k.desirable());
  }

  /** TRL's unpaired preference columns, from JSONL, a JSON array and Parquet alike. */
  @ParameterizedTest
  @EnumSource(FileType.class)
  void trlPromptCompletionLabel(FileType type) throws IOException {
    Path file =
        TestFiles.write(
            dir,
            "data",
            type,
            List.of(
                json("{'prompt': '熊猫吃什么？', 'completion': '熊猫吃竹子。', 'label': true}"),
                json("{'prompt': '熊猫吃什么？', 'completion': 'Pandas eat bamboo.', 'label': false}")));
    List<Sample> s = read(file, FormatSpec.of(Format.KTO));
    int first = type == FileType.JSONL ? 1 : 0;
    String name = file.toString();
    assertEquals(new Sample.Kto(List.of(Q), A, true, new Origin(name, first)), s.get(0));
    assertEquals(
        new Sample.Kto(
            List.of(Q),
            new Message("assistant", "Pandas eat bamboo."),
            false,
            new Origin(name, first + 1)),
        s.get(1));
  }

  /** TRL's conversational form: message lists, a system turn in the prompt, a completion list. */
  @Test
  void trlConversational() throws IOException {
    Path file =
        jsonl(
            "{'prompt': [{'role': 'system', 'content': '简短回答'},"
                + " {'role': 'user', 'content': '熊猫吃什么？'}],"
                + " 'completion': [{'role': 'assistant', 'content': '熊猫吃竹子。'}],"
                + " 'label': false}",
            // a completion that repeats the prompt first is cut after it
            "{'prompt': [{'role': 'user', 'content': '熊猫吃什么？'}],"
                + " 'completion': [{'role': 'user', 'content': '熊猫吃什么？'},"
                + " {'role': 'assistant', 'content': '熊猫吃竹子。'}], 'label': true}");
    List<Sample> s = read(file, FormatSpec.of(Format.KTO));
    assertKto(List.of(new Message("system", "简短回答"), Q), false, s.get(0));
    assertKto(List.of(Q), true, s.get(1));
  }

  /** LLaMA-Factory's kto_en_demo entry: sharegpt with OpenAI-style tags and kto_tag "label". */
  @Test
  void llamaFactorySharegptKtoTag() throws IOException {
    FormatSpec spec =
        ktoSpec(
            "{'file_name': 'kto_en_demo.json', 'formatting': 'sharegpt',"
                + " 'columns': {'messages': 'messages', 'kto_tag': 'label'},"
                + " 'tags': {'role_tag': 'role', 'content_tag': 'content',"
                + " 'user_tag': 'user', 'assistant_tag': 'assistant'}}");
    Path file =
        jsonl(
            "{'messages': [{'content': '你好', 'role': 'user'},"
                + " {'content': '你好！', 'role': 'assistant'},"
                + " {'content': '熊猫吃什么？', 'role': 'user'},"
                + " {'content': '熊猫吃竹子。', 'role': 'assistant'}], 'label': true}");
    assertKto(
        List.of(new Message("user", "你好"), new Message("assistant", "你好！"), Q),
        true,
        read(file, spec).get(0));

    // and ShareGPT's own from/value with a system turn first
    FormatSpec plain =
        FormatSpec.parse(json("{'formatting': 'sharegpt', 'columns': {'kto_tag': 'kto_tag'}}"));
    file =
        jsonl(
            "{'conversations': [{'from': 'system', 'value': '简短回答'},"
                + " {'from': 'human', 'value': '熊猫吃什么？'},"
                + " {'from': 'gpt', 'value': '熊猫吃竹子。'}], 'kto_tag': false}");
    assertKto(List.of(new Message("system", "简短回答"), Q), false, read(file, plain).get(0));
  }

  /** LLaMA-Factory's alpaca with a kto_tag column: instruction + input, history, system. */
  @Test
  void llamaFactoryAlpacaKtoTag() throws IOException {
    FormatSpec spec =
        ktoSpec(
            "{'formatting': 'alpaca', 'columns': {'prompt': 'instruction', 'query': 'input',"
                + " 'response': 'output', 'kto_tag': 'kto_tag'}}");
    Path file =
        jsonl(
            "{'system': '简短回答', 'history': [['你好', '你好！']], 'instruction': '熊猫吃什么？',"
                + " 'input': '', 'output': '熊猫吃竹子。', 'kto_tag': true}");
    assertKto(
        List.of(
            new Message("system", "简短回答"),
            new Message("user", "你好"),
            new Message("assistant", "你好！"),
            Q),
        true,
        read(file, spec).get(0));
  }

  /** Reads everything; checks the failure names the file and line, returns what follows them. */
  private String failure(Path file, FormatSpec spec, long line, Kind kind, String field) {
    DatasetException e = assertThrows(DatasetException.class, () -> read(file, spec));
    assertTrue(e.getMessage().startsWith(file + ":" + line + ": "), e.getMessage());
    assertEquals(kind, e.kind(), e.getMessage());
    assertEquals(field, e.field(), e.getMessage());
    return e.getMessage().substring((file + ":" + line + ": ").length());
  }

  @Test
  void badRowsNameFileLineAndField() throws IOException {
    String good = "{'prompt': 'q', 'completion': 'a', 'label': true}";
    FormatSpec kto = FormatSpec.of(Format.KTO);

    Path file = jsonl(good, "{'prompt': 'q', 'completion': 'a'}");
    assertEquals("missing field 'label' (kto)", failure(file, kto, 2, Kind.MISSING_FIELD, "label"));

    // "false" as a string would be truthy in Python: refused, not guessed
    file = jsonl(good, good, "{'prompt': 'q', 'completion': 'a', 'label': 'false'}");
    assertEquals(
        "label: expected true or false, got string",
        failure(file, kto, 3, Kind.WRONG_TYPE, "label"));

    file = jsonl("{'prompt': 'q', 'completion': '  ', 'label': true}");
    assertEquals(
        "completion: empty completion", failure(file, kto, 1, Kind.EMPTY_COMPLETION, "completion"));

    file = jsonl("{'prompt': '', 'completion': 'a', 'label': true}");
    assertEquals("prompt: empty prompt", failure(file, kto, 1, Kind.EMPTY_PROMPT, "prompt"));

    file = jsonl(good, "{'prompt': 'q', 'label': false}");
    assertEquals(
        "missing field 'completion' (kto)",
        failure(file, kto, 2, Kind.MISSING_FIELD, "completion"));

    // a conversational prompt must end with the user's turn
    file =
        jsonl(
            "{'prompt': [{'role': 'user', 'content': 'q'}, {'role': 'assistant', 'content':"
                + " 'a'}], 'completion': 'b', 'label': true}");
    assertTrue(
        failure(file, kto, 1, Kind.ROLE_ORDER, "prompt").contains("must end with a user turn"));

    // a conversation whose last turn is not the assistant's has no completion
    file =
        jsonl(
            "{'messages': [{'role': 'user', 'content': 'q'}, {'role': 'user', 'content':"
                + " 'q2'}], 'label': true}");
    assertEquals(
        "messages[1].role: expected an assistant reply, got user",
        failure(file, kto, 1, Kind.ROLE_ORDER, "messages[1].role"));

    file = jsonl("{'messages': [{'role': 'assistant', 'content': 'a'}], 'label': true}");
    assertTrue(
        failure(file, kto, 1, Kind.ROLE_ORDER, "messages")
            .startsWith("messages: expected a prompt and the completion"));
  }

  @Test
  void skipInvalidDropsAndCountsBadKtoRows() throws IOException {
    Path file =
        jsonl(
            "{'prompt': 'q', 'completion': 'a', 'label': true}",
            "{'prompt': 'q', 'completion': 'a', 'label': 1}",
            "{'prompt': 'q', 'completion': 'b', 'label': false}");
    try (DatasetReader reader =
        DatasetReader.open(file, FormatSpec.of(Format.KTO).withSkipInvalid(true))) {
      List<Sample> s = new ArrayList<>();
      reader.forEachRemaining(s::add);
      assertEquals(2, s.size());
      assertEquals(1, reader.stats().skippedTotal());
    }
  }
}
