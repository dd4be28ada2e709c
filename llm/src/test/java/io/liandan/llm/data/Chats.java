package io.liandan.llm.data;

import java.util.List;

/** Chat turns and chat samples for tests, as short to write as the conversations they hold. */
public final class Chats {
  private Chats() {}

  public static Message system(String content) {
    return new Message("system", content);
  }

  public static Message user(String content) {
    return new Message("user", content);
  }

  public static Message assistant(String content) {
    return new Message("assistant", content);
  }

  /** A chat sample of {@code messages} (no tools) read at {@code origin}. */
  public static Sample.Chat chat(Origin origin, Message... messages) {
    return new Sample.Chat(List.of(messages), List.of(), origin);
  }

  /** A preference sample: {@code prompt}, then the assistant's chosen and rejected replies. */
  public static Sample.Preference preference(
      List<Message> prompt, String chosen, String rejected, Origin origin) {
    return new Sample.Preference(prompt, assistant(chosen), assistant(rejected), origin);
  }
}
