package io.liandan.llm.data.tokenize;

import io.liandan.llm.data.Message;
import java.util.List;

/** Renders messages to the model's prompt text (the model's chat template). */
@FunctionalInterface
public interface ChatRenderer {
  String render(List<Message> messages, List<Object> tools, boolean addGenerationPrompt);
}
