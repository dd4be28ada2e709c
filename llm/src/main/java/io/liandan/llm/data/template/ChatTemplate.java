package io.liandan.llm.data.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import io.liandan.llm.data.Message;
import io.liandan.llm.data.tokenizer.TokenizerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A model's own Jinja chat template, rendered as transformers' {@code apply_chat_template(messages,
 * tools=…, add_generation_prompt=…, **kwargs, tokenize=False)} renders it, on Jinjava. Templates
 * using constructs that Jinjava would render wrongly are refused when loaded. Thread-safe.
 */
public final class ChatTemplate {
  private static final Jinjava JINJAVA = JinjaEnv.create();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** ChatML, for models without a template: what Qwen2 base models and many others expect. */
  public static final String CHATML =
      "{% for message in messages %}"
          + "{{ '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}"
          + "{% endfor %}"
          + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

  private final String source;
  private final String prepared;
  private final Map<String, Object> specialTokens;

  private ChatTemplate(String source, Map<String, Object> specialTokens) {
    this.source = source;
    TemplateSource.Prepared p = TemplateSource.prepare(source);
    this.prepared = p.source();
    this.specialTokens = Map.copyOf(specialTokens);
    checkSyntax(p);
  }

  /** A template from its jinja2 source, with no special tokens bound. */
  public static ChatTemplate of(String source) {
    return new ChatTemplate(source, Map.of());
  }

  /** The fallback ChatML template. */
  public static ChatTemplate chatMl() {
    return of(CHATML);
  }

  /**
   * A model folder's template: {@code chat_template.jinja} if present (it wins, as in
   * transformers), else {@code chat_template} of {@code tokenizer_config.json} (a string, or the
   * entry named "default" of a list). Its special tokens (bos_token, eos_token, …) are bound.
   *
   * @throws ChatTemplateException if the folder has no template
   */
  public static ChatTemplate fromModelDir(Path dir) {
    TokenizerConfig config = TokenizerConfig.read(dir);
    String source = findSource(dir, config);
    if (source == null) {
      throw new ChatTemplateException(
          "no chat template in "
              + dir
              + " (neither chat_template.jinja nor chat_template in "
              + TokenizerConfig.FILE
              + "); ChatTemplate.chatMl() is the fallback");
    }
    return new ChatTemplate(source, config.specialTokensMap());
  }

  /** The folder's template, or ChatML (with the folder's special tokens) if it has none. */
  public static ChatTemplate fromModelDirOrChatMl(Path dir) {
    TokenizerConfig config = TokenizerConfig.read(dir);
    String source = findSource(dir, config);
    return new ChatTemplate(source == null ? CHATML : source, config.specialTokensMap());
  }

  private static String findSource(Path dir, TokenizerConfig config) {
    Path jinja = dir.resolve("chat_template.jinja");
    if (Files.exists(jinja)) {
      try {
        return Files.readString(jinja, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + jinja, e);
      }
    }
    Object t = config.chatTemplate();
    if (t == null || t instanceof String) {
      return (String) t;
    }
    if (t instanceof List<?> named) {
      for (Object entry : named) {
        if (entry instanceof Map<?, ?> m
            && "default".equals(m.get("name"))
            && m.get("template") instanceof String s) {
          return s;
        }
      }
      String names =
          named.stream()
              .map(e -> e instanceof Map<?, ?> m ? String.valueOf(m.get("name")) : "?")
              .collect(Collectors.joining(", "));
      throw new ChatTemplateException(
          dir.resolve(TokenizerConfig.FILE)
              + ": chat_template lists no template named \"default\" (has: "
              + names
              + ")");
    }
    throw new ChatTemplateException(
        dir.resolve(TokenizerConfig.FILE) + ": chat_template is neither a string nor a list");
  }

  /** The template's source as the model ships it. */
  public String source() {
    return source;
  }

  /** Renders without tools or extra variables. */
  public String render(List<Message> messages, boolean addGenerationPrompt) {
    return render(messages, List.of(), addGenerationPrompt, Map.of());
  }

  /**
   * Renders the conversation.
   *
   * @param tools JSON-schema tool descriptions (maps, lists, strings, numbers, Jackson nodes); an
   *     empty list is passed to the template as none, as transformers does for {@code tools=None}
   * @param extra further template variables, e.g. {@code enable_thinking} (may be null); they
   *     override the special tokens from tokenizer_config.json
   * @throws ChatTemplateException if rendering fails, with the template's own message when it
   *     called {@code raise_exception}
   */
  public String render(
      List<Message> messages,
      List<Object> tools,
      boolean addGenerationPrompt,
      Map<String, Object> extra) {
    Map<String, Object> vars = new HashMap<>(specialTokens);
    List<Object> ms = new ArrayList<>(messages.size());
    for (Message m : messages) {
      ms.add(toMap(m));
    }
    vars.put("messages", ms);
    if (tools != null && !tools.isEmpty()) {
      vars.put("tools", plain(tools));
    }
    vars.put("add_generation_prompt", addGenerationPrompt);
    // transformers passes its helpers as globals, so `strftime_now is defined` holds there (Llama
    // 3.1+ templates then print today's date); in Jinjava a function is not a variable, and the
    // template would fall back to its hard-coded "26 Jul 2024". The call still goes to the
    // function.
    vars.put("strftime_now", true);
    vars.put("raise_exception", true);
    if (extra != null) {
      extra.forEach(
          (k, v) -> {
            if (v != null) {
              vars.put(k, plain(v));
            }
          });
    }
    RenderResult result = JINJAVA.renderForResult(prepared, vars);
    throwIfFailed(result.getErrors());
    return result.getOutput();
  }

  /** The message as templates see it: role, content, and tool_calls only when there are some. */
  private static Map<String, Object> toMap(Message m) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("role", m.role());
    map.put("content", m.content());
    if (!m.toolCalls().isEmpty()) {
      map.put("tool_calls", plain(m.toolCalls()));
    }
    return map;
  }

  /** Jackson trees become maps and lists, which templates can index. */
  private static Object plain(Object v) {
    if (v instanceof JsonNode node) {
      return JSON.convertValue(node, Object.class);
    } else if (v instanceof Map<?, ?> m) {
      Map<String, Object> copy = new LinkedHashMap<>();
      m.forEach((k, x) -> copy.put(String.valueOf(k), plain(x)));
      return copy;
    } else if (v instanceof List<?> l) {
      List<Object> copy = new ArrayList<>(l.size());
      l.forEach(x -> copy.add(plain(x)));
      return copy;
    }
    return v;
  }

  /** Parse errors (unknown tags, unclosed blocks) surface at load, not at the first render. */
  private void checkSyntax(TemplateSource.Prepared p) {
    // jinja2 refuses unknown filters and tests when compiling; Jinjava would render them as ""
    for (String f : p.filters()) {
      if (JINJAVA.getGlobalContext().getFilter(f) == null) {
        throw new ChatTemplateException(
            "chat template uses the filter " + f + ", which is unknown");
      }
    }
    for (String t : p.tests()) {
      if (JINJAVA.getGlobalContext().getExpTest(t) == null) {
        throw new ChatTemplateException("chat template uses the test " + t + ", which is unknown");
      }
    }
    JinjavaInterpreter interpreter = JINJAVA.newInterpreter();
    JinjavaInterpreter.pushCurrent(interpreter);
    try {
      interpreter.parse(prepared);
    } finally {
      JinjavaInterpreter.popCurrent();
    }
    List<TemplateError> fatal =
        interpreter.getErrorsCopy().stream()
            .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL)
            .toList();
    if (!fatal.isEmpty()) {
      throw new ChatTemplateException("chat template does not parse: " + describe(fatal));
    }
  }

  private static void throwIfFailed(List<TemplateError> errors) {
    for (TemplateError e : errors) {
      for (Throwable t = e.getException(); t != null; t = t.getCause()) {
        if (t instanceof JinjaEnv.Raised raised) {
          throw new ChatTemplateException(raised.getMessage());
        }
        if (t.getCause() == t) {
          break;
        }
      }
    }
    List<TemplateError> fatal =
        errors.stream().filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).toList();
    if (!fatal.isEmpty()) {
      throw new ChatTemplateException("chat template failed: " + describe(fatal));
    }
  }

  private static String describe(List<TemplateError> errors) {
    return errors.stream()
        .map(e -> "line " + e.getLineno() + ": " + e.getMessage())
        .collect(Collectors.joining("; "));
  }
}
