package io.liandan.llm.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.llm.data.Message;
import io.liandan.llm.data.QwenFixture;
import io.liandan.llm.data.template.ChatTemplate;
import io.liandan.llm.data.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The real Qwen tokenizer's chat template on random conversations (Chinese, emoji, template-like
 * text, think blocks, enable_thinking on, off and unset) against apply_chat_template, and the ids.
 */
class OracleChatTest {

  @Test
  void templateTextAndIdsEqualTransformers() throws Exception {
    Oracle o = Oracle.get();
    ChatTemplate template = ChatTemplate.fromModelDir(QwenFixture.modelDir());
    try (TextTokenizer tok = TextTokenizer.fromModelDir(QwenFixture.modelDir())) {
      for (JsonNode chat : o.readJson("chat.json")) {
        List<Message> messages = new ArrayList<>();
        chat.get("messages")
            .forEach(
                m -> messages.add(new Message(m.get("role").asText(), m.get("content").asText())));
        @SuppressWarnings("unchecked")
        Map<String, Object> kwargs = new ObjectMapper().convertValue(chat.get("kwargs"), Map.class);
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
}
