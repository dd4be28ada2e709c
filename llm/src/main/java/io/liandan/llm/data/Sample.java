package io.liandan.llm.data;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/**
 * One normalised training example, whatever the source format: plain text for pretraining, a
 * conversation for SFT, a preference pair for DPO, a labelled completion for KTO. Formats map into
 * these; tokenisation reads them.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Sample.Text.class, name = "text"),
  @JsonSubTypes.Type(value = Sample.Chat.class, name = "chat"),
  @JsonSubTypes.Type(value = Sample.Preference.class, name = "preference"),
  @JsonSubTypes.Type(value = Sample.Kto.class, name = "kto")
})
public sealed interface Sample {
  Origin origin();

  /** Pretraining text ({"text": …}). */
  record Text(String text, Origin origin) implements Sample {}

  /** A conversation; an optional system turn comes first, then user/assistant(/tool) turns. */
  record Chat(List<Message> messages, List<Object> tools, Origin origin) implements Sample {
    public Chat {
      messages = List.copyOf(messages);
      tools = tools == null ? List.of() : List.copyOf(tools);
    }
  }

  /**
   * A DPO pair: the shared prompt (messages ending with a user turn) and the chosen and rejected
   * assistant replies.
   */
  record Preference(List<Message> prompt, Message chosen, Message rejected, Origin origin)
      implements Sample {
    public Preference {
      prompt = List.copyOf(prompt);
    }
  }

  /**
   * A KTO example (unpaired): the prompt (messages ending with a user turn), one assistant
   * completion, and whether it is desirable (TRL's {@code label}, LLaMA-Factory's {@code kto_tag}).
   */
  record Kto(List<Message> prompt, Message completion, boolean desirable, Origin origin)
      implements Sample {
    public Kto {
      prompt = List.copyOf(prompt);
    }
  }
}
