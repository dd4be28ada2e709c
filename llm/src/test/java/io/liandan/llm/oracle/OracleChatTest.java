package io.liandan.llm.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.llm.data.Message;
import io.liandan.llm.data.QwenFixture;
import io.liandan.llm.data.template.ChatTemplate;
import io.liandan.llm.data.template.ChatTemplateException;
import io.liandan.llm.data.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The real Qwen tokenizer's chat template on random conversations (Chinese, emoji, template-like
 * text, think blocks, enable_thinking on, off and unset) against apply_chat_template, and the ids;
 * then each family's own template (Llama 3 and 3.2, Mistral, Phi-3, Gemma 2 and 3, in
 * src/test/resources/chat-templates) on random conversations, refusals included.
 */
class OracleChatTest {

  @Test
  void templateTextAndIdsEqualTransformers() throws Exception {
    Oracle o = Oracle.get();
    ChatTemplate template = ChatTemplate.fromModelDir(QwenFixture.modelDir());
    try (TextTokenizer tok = TextTokenizer.fromModelDir(QwenFixture.modelDir())) {
      for (JsonNode chat : o.readJson("chat.json")) {
        List<Message> messages = messages(chat);
        Map<String, Object> kwargs = kwargs(chat);
        String what = "conversation " + chat.get("messages") + " " + kwargs;
        o.inCase(
            chat,
            "chat template",
            () -> {
              String text =
                  template.render(
                      messages, List.of(), chat.get("add_generation_prompt").asBoolean(), kwargs);
              assertEquals(chat.get("text").asText(), text, what);
              long[] ids = new long[chat.get("ids").size()];
              for (int i = 0; i < ids.length; i++) ids[i] = chat.get("ids").get(i).asLong();
              assertArrayEquals(ids, tok.encode(text), "ids of " + what);
            });
      }
    }
  }

  @Test
  void eachFamilysTemplateRendersAndRefusesAsTransformers() throws Exception {
    Oracle o = Oracle.get();
    JsonNode cases = o.readJson("chat-families.json");
    assertEquals(24, cases.size(), "four conversations for each of the six templates");
    for (JsonNode chat : cases) {
      String family = chat.get("family").asText();
      Path dir = Path.of(OracleChatTest.class.getResource("/chat-templates/" + family).toURI());
      ChatTemplate template = ChatTemplate.fromModelDir(dir);
      List<Message> messages = messages(chat);
      Map<String, Object> kwargs = kwargs(chat);
      boolean agp = chat.get("add_generation_prompt").asBoolean();
      String what = family + " on " + chat.get("messages") + " " + kwargs + ", agp " + agp;
      o.inCase(
          chat,
          family + " chat template",
          () -> {
            if (chat.has("error")) {
              ChatTemplateException e =
                  assertThrows(
                      ChatTemplateException.class,
                      () -> template.render(messages, List.of(), agp, kwargs),
                      what);
              assertEquals(chat.get("error").asText(), e.getMessage(), what);
            } else {
              assertEquals(
                  chat.get("text").asText(),
                  template.render(messages, List.of(), agp, kwargs),
                  what);
            }
          });
    }
  }

  /** The conversation the oracle rendered. */
  static List<Message> messages(JsonNode chat) {
    List<Message> messages = new ArrayList<>();
    chat.get("messages")
        .forEach(m -> messages.add(new Message(m.get("role").asText(), m.get("content").asText())));
    return messages;
  }

  /** The extra template variables it passed (enable_thinking, date_string, …). */
  @SuppressWarnings("unchecked")
  static Map<String, Object> kwargs(JsonNode chat) {
    return new ObjectMapper().convertValue(chat.get("kwargs"), Map.class);
  }
}
