package io.liandan.llm.data.format;

import static io.liandan.llm.data.Chats.assistant;
import static io.liandan.llm.data.Chats.preference;
import static io.liandan.llm.data.Chats.system;
import static io.liandan.llm.data.Chats.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liandan.llm.data.Message;
import io.liandan.llm.data.Origin;
import io.liandan.llm.data.Sample;
import io.liandan.llm.data.io.FileType;
import io.liandan.llm.data.io.TestFiles;
import io.liandan.spec.Format;
import io.liandan.spec.FormatSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every format, read from JSONL, a JSON array and Parquet, gives the same records. */
class FormatMappingTest {
  @TempDir Path dir;

  /** Reads {@code rows} written as {@code type}; checks the stats agree with what came out. */
  private List<Sample> read(FileType type, FormatSpec spec, List<String> rows) throws IOException {
    Path file = TestFiles.write(dir, "data", type, rows);
    List<Sample> samples = new ArrayList<>();
    try (DatasetReader reader = DatasetReader.open(file, spec)) {
      reader.forEachRemaining(samples::add);
      assertEquals(rows.size(), reader.stats().rows());
      assertEquals(samples.size(), reader.stats().samples());
    }
    return samples;
  }

  /** Where row {@code i} of the written file is: JSONL lines count from 1, rows from 0. */
  private Origin origin(FileType type, int i) {
    String ext = type == FileType.PARQUET ? ".parquet" : type == FileType.JSON ? ".json" : ".jsonl";
    return new Origin(dir.resolve("data" + ext).toString(), type == FileType.JSONL ? i + 1 : i);
  }

  private static Map<String, Object> call(String name, Map<String, Object> arguments) {
    Map<String, Object> function = new LinkedHashMap<>();
    function.put("name", name);
    function.put("arguments", arguments);
    Map<String, Object> call = new LinkedHashMap<>();
    call.put("type", "function");
    call.put("function", function);
    return call;
  }

  @ParameterizedTest
  @EnumSource(FileType.class)
  void text(FileType type) throws IOException {
    List<String> rows =
        List.of(
            "{\"text\": \"炼丹是中国机器学习工程师对训练模型的戏称。\"}",
            "{\"text\": \"   \"}",
            "{\"text\": \"Pretraining text, in English.\", \"meta\": {\"source\": \"web\"}}");
    Path file = TestFiles.write(dir, "data", type, rows);
    try (DatasetReader reader = DatasetReader.open(file, FormatSpec.of(Format.TEXT))) {
      List<Sample> samples = new ArrayList<>();
      reader.forEachRemaining(samples::add);
      assertEquals(
          List.of(
              new Sample.Text("炼丹是中国机器学习工程师对训练模型的戏称。", origin(type, 0)),
              new Sample.Text("Pretraining text, in English.", origin(type, 2))),
          samples);
      FormatStats stats = reader.stats();
      assertEquals(3, stats.rows());
      assertEquals(2, stats.samples());
      assertEquals(Map.of("empty_text", 1L), stats.skipped());
      assertEquals(origin(type, 1) + ": text: empty text", stats.firstSkipped().get("empty_text"));
    }
  }

  @ParameterizedTest
  @EnumSource(FileType.class)
  void alpaca(FileType type) throws IOException {
    List<String> rows =
        List.of(
            """
            {"instruction": "把这句话翻译成英文。", "input": "我爱机器学习。",
             "output": "I love machine learning.", "system": "你是一名翻译。",
             "history": [["你好", "你好！有什么可以帮你？"], ["你会翻译吗？", "会的。"]]}""",
            """
            {"instruction": "Name three primary colours.", "input": "",
             "output": "Red, yellow and blue."}""",
            """
            {"instruction": "", "input": "Summarise: the cat sat on the mat.",
             "output": "A cat sat.", "system": ""}""");
    List<Sample> samples = read(type, FormatSpec.of(Format.ALPACA), rows);
    assertEquals(
        List.of(
            new Sample.Chat(
                List.of(
                    system("你是一名翻译。"),
                    user("你好"),
                    assistant("你好！有什么可以帮你？"),
                    user("你会翻译吗？"),
                    assistant("会的。"),
                    user("把这句话翻译成英文。\n我爱机器学习。"),
                    assistant("I love machine learning.")),
                List.of(),
                origin(type, 0)),
            new Sample.Chat(
                List.of(user("Name three primary colours."), assistant("Red, yellow and blue.")),
                List.of(),
                origin(type, 1)),
            new Sample.Chat(
                List.of(user("Summarise: the cat sat on the mat."), assistant("A cat sat.")),
                List.of(),
                origin(type, 2))),
        samples);
  }

  @ParameterizedTest
  @EnumSource(FileType.class)
  void alpacaWithRenamedColumns(FileType type) throws IOException {
    FormatSpec spec =
        FormatSpec.parse(
            """
            {"formatting": "alpaca",
             "columns": {"prompt": "question", "query": "context", "response": "answer"}}""");
    List<String> rows = List.of("{\"question\": \"1+1=?\", \"context\": null, \"answer\": \"2\"}");
    assertEquals(
        List.of(user("1+1=?"), assistant("2")),
        ((Sample.Chat) read(type, spec, rows).get(0)).messages());
  }

  static final String WEATHER_TOOLS =
      "[{\\\"name\\\": \\\"get_weather\\\", \\\"description\\\": \\\"查询城市天气\\\","
          + " \\\"parameters\\\": {\\\"type\\\": \\\"object\\\", \\\"properties\\\":"
          + " {\\\"city\\\": {\\\"type\\\": \\\"string\\\"}}, \\\"required\\\": [\\\"city\\\"]}}]";

  @ParameterizedTest
  @EnumSource(FileType.class)
  void sharegpt(FileType type) throws IOException {
    List<String> rows =
        List.of(
            """
            {"conversations": [
               {"from": "human", "value": "北京今天天气怎么样？"},
               {"from": "function_call",
                "value": "{\\"name\\": \\"get_weather\\", \\"arguments\\": {\\"city\\": \\"北京\\"}}"},
               {"from": "observation", "value": "{\\"temperature\\": 22, \\"condition\\": \\"晴\\"}"},
               {"from": "gpt", "value": "北京今天晴，气温 22°C。"}],
             "system": "你是一个有用的助手。",
             "tools": "%s"}"""
                .formatted(WEATHER_TOOLS),
            """
            {"conversations": [
               {"from": "system", "value": "You are concise."},
               {"from": "human", "value": "What is 2+2?"},
               {"from": "gpt", "value": "4."},
               {"from": "human", "value": "And times 3?"},
               {"from": "gpt", "value": "12."}]}""");
    List<Sample> samples = read(type, FormatSpec.of(Format.SHAREGPT), rows);

    Map<String, Object> properties = new LinkedHashMap<>();
    properties.put("city", Map.of("type", "string"));
    Map<String, Object> parameters = new LinkedHashMap<>();
    parameters.put("type", "object");
    parameters.put("properties", properties);
    parameters.put("required", List.of("city"));
    Map<String, Object> tool = new LinkedHashMap<>();
    tool.put("name", "get_weather");
    tool.put("description", "查询城市天气");
    tool.put("parameters", parameters);
    assertEquals(
        new Sample.Chat(
            List.of(
                system("你是一个有用的助手。"),
                user("北京今天天气怎么样？"),
                new Message("assistant", "", List.of(call("get_weather", Map.of("city", "北京")))),
                new Message("tool", "{\"temperature\": 22, \"condition\": \"晴\"}"),
                assistant("北京今天晴，气温 22°C。")),
            List.of(tool),
            origin(type, 0)),
        samples.get(0));
    assertEquals(
        new Sample.Chat(
            List.of(
                system("You are concise."),
                user("What is 2+2?"),
                assistant("4."),
                user("And times 3?"),
                assistant("12.")),
            List.of(),
            origin(type, 1)),
        samples.get(1));
  }

  @ParameterizedTest
  @EnumSource(FileType.class)
  void sharegptStoredAsAStructOfListsIsTransposed(FileType type) throws IOException {
    // what Hugging Face datasets' Sequence({"from": ..., "value": ...}) feature stores
    List<String> rows =
        List.of(
            """
            {"conversations": {"from": ["human", "gpt"], "value": ["你是谁？", "我是助手。"]}}""");
    assertEquals(
        List.of(user("你是谁？"), assistant("我是助手。")),
        ((Sample.Chat) read(type, FormatSpec.of(Format.SHAREGPT), rows).get(0)).messages());
  }

  @ParameterizedTest
  @EnumSource(FileType.class)
  void sharegptWithOpenAiStyleTags(FileType type) throws IOException {
    // LLaMA-Factory's "sharegpt" with tags for {role, content} lists, as in its dataset_info.json
    FormatSpec spec =
        FormatSpec.parse(
            """
            {"formatting": "sharegpt", "columns": {"messages": "messages"},
             "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                      "assistant_tag": "assistant", "system_tag": "system"}}""");
    List<String> rows =
        List.of(
            """
            {"messages": [{"role": "system", "content": "简洁回答。"},
                          {"role": "user", "content": "天空是什么颜色？"},
                          {"role": "assistant", "content": "蓝色。"}]}""");
    assertEquals(
        List.of(system("简洁回答。"), user("天空是什么颜色？"), assistant("蓝色。")),
        ((Sample.Chat) read(type, spec, rows).get(0)).messages());
  }

  @ParameterizedTest
  @EnumSource(FileType.class)
  void openai(FileType type) throws IOException {
    List<String> rows =
        List.of(
            """
            {"messages": [
               {"role": "system", "content": "You are a helpful assistant."},
               {"role": "user", "content": "What's the weather in Paris and in 上海?"},
               {"role": "assistant", "content": null, "tool_calls": [
                  {"id": "call_1", "type": "function",
                   "function": {"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\"}"}},
                  {"id": "call_2", "type": "function",
                   "function": {"name": "get_weather", "arguments": "{\\"city\\": \\"上海\\"}"}}]},
               {"role": "tool", "content": "18°C, cloudy"},
               {"role": "tool", "content": "25°C, 晴"},
               {"role": "assistant", "content": "Paris: 18°C and cloudy; 上海: 25°C and sunny."}],
             "tools": "[{\\"type\\": \\"function\\", \\"function\\": {\\"name\\": \\"get_weather\\"}}]"}""",
            """
            {"messages": [
               {"role": "user", "content": "用一句话介绍长城。"},
               {"role": "assistant", "content": "长城是中国古代修建的军事防御工程。"},
               {"role": "user", "content": "它有多长？"},
               {"role": "assistant", "content": "总长度超过两万公里。"}]}""");
    List<Sample> samples = read(type, FormatSpec.of(Format.OPENAI), rows);
    Map<String, Object> call1 = call("get_weather", Map.of("city", "Paris"));
    call1.put("id", "call_1");
    Map<String, Object> call2 = call("get_weather", Map.of("city", "上海"));
    call2.put("id", "call_2");
    assertEquals(
        new Sample.Chat(
            List.of(
                system("You are a helpful assistant."),
                user("What's the weather in Paris and in 上海?"),
                new Message("assistant", "", List.of(call1, call2)),
                new Message("tool", "18°C, cloudy"),
                new Message("tool", "25°C, 晴"),
                assistant("Paris: 18°C and cloudy; 上海: 25°C and sunny.")),
            List.of(Map.of("type", "function", "function", Map.of("name", "get_weather"))),
            origin(type, 0)),
        samples.get(0));
    assertEquals(
        List.of(
            user("用一句话介绍长城。"),
            assistant("长城是中国古代修建的军事防御工程。"),
            user("它有多长？"),
            assistant("总长度超过两万公里。")),
        ((Sample.Chat) samples.get(1)).messages());
  }

  @ParameterizedTest
  @EnumSource(
      value = FileType.class,
      names = {"JSONL", "JSON"})
  void openaiContentPartsAreJoined(FileType type) throws IOException {
    List<String> rows =
        List.of(
            """
            {"messages": [
               {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
               {"role": "user", "content": [{"type": "text", "text": "第一段。"},
                                            {"type": "text", "text": "Second part."}]},
               {"role": "assistant", "content": [{"type": "text", "text": "OK."}]}]}""");
    assertEquals(
        List.of(system("Be brief."), user("第一段。\nSecond part."), assistant("OK.")),
        ((Sample.Chat) read(type, FormatSpec.of(Format.OPENAI), rows).get(0)).messages());
  }

  @ParameterizedTest
  @EnumSource(FileType.class)
  void preferenceAsStrings(FileType type) throws IOException {
    List<String> rows =
        List.of(
            """
            {"prompt": "写一句关于春天的诗。", "chosen": "春风又绿江南岸。", "rejected": "春天。",
             "system": "你是诗人。"}""",
            """
            {"prompt": "Is the earth flat?", "chosen": "No, it is an oblate spheroid.",
             "rejected": "Yes."}""");
    List<Sample> samples = read(type, FormatSpec.of(Format.PREFERENCE), rows);
    assertEquals(
        List.of(
            preference(
                List.of(system("你是诗人。"), user("写一句关于春天的诗。")), "春风又绿江南岸。", "春天。", origin(type, 0)),
            preference(
                List.of(user("Is the earth flat?")),
                "No, it is an oblate spheroid.",
                "Yes.",
                origin(type, 1))),
        samples);
  }

  @ParameterizedTest
  @EnumSource(FileType.class)
  void preferenceAsMessageLists(FileType type) throws IOException {
    // TRL's conversational format with an explicit prompt
    List<String> rows =
        List.of(
            """
            {"prompt": [{"role": "system", "content": "你是数学老师。"},
                        {"role": "user", "content": "3 的平方是多少？"},
                        {"role": "assistant", "content": "9。"},
                        {"role": "user", "content": "那 4 的呢？"}],
             "chosen": [{"role": "assistant", "content": "16。"}],
             "rejected": [{"role": "assistant", "content": "8。"}]}""");
    assertEquals(
        preference(
            List.of(system("你是数学老师。"), user("3 的平方是多少？"), assistant("9。"), user("那 4 的呢？")),
            "16。",
            "8。",
            origin(type, 0)),
        read(type, FormatSpec.of(Format.PREFERENCE), rows).get(0));
  }

  @ParameterizedTest
  @EnumSource(FileType.class)
  void preferenceAsFullConversationsIsSplitAtTheCommonPrefix(FileType type) throws IOException {
    // TRL's implicit prompt (e.g. Anthropic HH as conversations), and Infinity-Preference's
    // string prompt repeated at the start of chosen and rejected
    List<String> rows =
        List.of(
            """
            {"chosen": [{"role": "user", "content": "Hi!"},
                        {"role": "assistant", "content": "Hello! How can I help?"},
                        {"role": "user", "content": "Tell me a joke."},
                        {"role": "assistant", "content": "Why did the chicken cross the road?"}],
             "rejected": [{"role": "user", "content": "Hi!"},
                          {"role": "assistant", "content": "Hello! How can I help?"},
                          {"role": "user", "content": "Tell me a joke."},
                          {"role": "assistant", "content": "No."}]}""",
            """
            {"prompt": "介绍一下你自己。",
             "chosen": [{"role": "user", "content": "介绍一下你自己。"},
                        {"role": "assistant", "content": "我是一个语言模型助手。"}],
             "rejected": [{"role": "user", "content": "介绍一下你自己。"},
                          {"role": "assistant", "content": "不知道。"}]}""");
    List<Sample> samples = read(type, FormatSpec.of(Format.PREFERENCE), rows);
    assertEquals(
        preference(
            List.of(user("Hi!"), assistant("Hello! How can I help?"), user("Tell me a joke.")),
            "Why did the chicken cross the road?",
            "No.",
            origin(type, 0)),
        samples.get(0));
    assertEquals(
        preference(List.of(user("介绍一下你自己。")), "我是一个语言模型助手。", "不知道。", origin(type, 1)),
        samples.get(1));
  }

  @ParameterizedTest
  @EnumSource(FileType.class)
  void preferenceInSharegptRankingStyle(FileType type) throws IOException {
    // LLaMA-Factory's dataset_info.json entry for a sharegpt ranking dataset
    FormatSpec spec =
        FormatSpec.parse(
            """
            {"file_name": "dpo_zh_demo.json", "formatting": "sharegpt", "ranking": true,
             "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected"}}""");
    assertEquals(Format.PREFERENCE, spec.format());
    List<String> rows =
        List.of(
            """
            {"conversations": [{"from": "system", "value": "你是历史老师。"},
                               {"from": "human", "value": "秦朝是哪一年统一的？"}],
             "chosen": {"from": "gpt", "value": "公元前221年。"},
             "rejected": {"from": "gpt", "value": "公元221年。"}}""");
    assertEquals(
        preference(
            List.of(system("你是历史老师。"), user("秦朝是哪一年统一的？")), "公元前221年。", "公元221年。", origin(type, 0)),
        read(type, spec, rows).get(0));
  }

  @ParameterizedTest
  @EnumSource(FileType.class)
  void streamApiClosesTheFile(FileType type) throws IOException {
    Path file =
        TestFiles.write(dir, "data", type, List.of("{\"text\": \"一\"}", "{\"text\": \"二\"}"));
    assertEquals(0, openHandles(file), "open before the stream");
    try (Stream<Sample> samples = DatasetReader.stream(file, FormatSpec.of(Format.TEXT))) {
      var it = samples.iterator();
      assertEquals("一", ((Sample.Text) it.next()).text());
      // the check sees an open file: the stream holds it while being read
      assertTrue(openHandles(file) > 0, "the stream reads through an open handle");
      assertEquals("二", ((Sample.Text) it.next()).text());
    }
    assertEquals(0, openHandles(file), "still open after the stream was closed");
  }

  /** This process's file descriptors on {@code file} (Linux: /proc/self/fd links). */
  static long openHandles(Path file) throws IOException {
    Path real = file.toRealPath();
    try (Stream<Path> fds = java.nio.file.Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(
              fd -> {
                try {
                  return java.nio.file.Files.readSymbolicLink(fd).equals(real);
                } catch (IOException e) {
                  return false; // the listing's own descriptor, closed meanwhile
                }
              })
          .count();
    }
  }
}
