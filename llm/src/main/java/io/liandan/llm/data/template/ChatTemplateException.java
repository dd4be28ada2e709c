package io.liandan.llm.data.template;

/**
 * A chat template that cannot be loaded (missing, or using a construct this renderer would get
 * wrong) or that failed to render; a template's own {@code raise_exception(msg)} arrives here with
 * exactly {@code msg} as its message.
 */
public class ChatTemplateException extends RuntimeException {
  public ChatTemplateException(String message) {
    super(message);
  }

  public ChatTemplateException(String message, Throwable cause) {
    super(message, cause);
  }
}
