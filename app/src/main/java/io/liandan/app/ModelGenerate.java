package io.liandan.app;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.llm.data.Message;
import io.liandan.llm.data.template.ChatTemplate;
import io.liandan.llm.data.tokenizer.TextTokenizer;
import io.liandan.llm.generate.Generator;
import io.liandan.llm.generate.SamplingConfig;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code liandan model generate}: a reply to a chat message ({@code --prompt}, text out), or a
 * continuation of token ids ({@code --prompt-ids}, the full id sequence out as JSON).
 */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description =
        "Generate a reply to --prompt TEXT (printed as text), or continue --prompt-ids (printed as"
            + " JSON ids).")
final class ModelGenerate implements Callable<Integer> {
  @Option(names = "--model", required = true)
  Path model;

  @Option(names = "--adapter")
  Path adapter;

  @ArgGroup(multiplicity = "1")
  Prompt prompt;

  static final class Prompt {
    @Option(
        names = "--prompt",
        description =
            "a user message, rendered with the model's chat template (ChatML if it has none) and"
                + " a generation prompt; prints the reply as text")
    String text;

    @Option(
        names = "--prompt-ids",
        split = ",",
        description = "comma-separated prompt ids; prints the full id sequence as JSON")
    List<String> ids;
  }

  @Option(names = "--raw", description = "with --prompt: continue the text as is, no chat template")
  boolean raw;

  @Option(names = "--max-new-tokens", defaultValue = "32")
  int maxNewTokens;

  @Option(names = "--do-sample", description = "sample instead of greedy")
  boolean doSample;

  @Option(names = "--temperature", defaultValue = "1.0")
  double temperature;

  @Option(names = "--top-k", defaultValue = "0", description = "0 = off")
  int topK;

  @Option(names = "--top-p", defaultValue = "1.0", description = "1 = off")
  double topP;

  @Option(names = "--seed", defaultValue = "0")
  long seed;

  @Option(
      names = "--eos-ids",
      split = ",",
      description =
          "stop ids (default: generation_config.json's eos_token_id; 'none' to never stop early)")
  List<String> eosIds;

  @Option(
      names = "--dtype",
      defaultValue = "float32",
      description =
          "float32 (default) or bfloat16: the weight matrices kept in bf16, half the memory and"
              + " the CPU's bf16 matmuls (transformers' dtype=torch.bfloat16); activations stay"
              + " float32")
  String dtype;

  @Mixin ModelCommand.DeviceOption device;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    boolean sampling = doSample || topK > 0 || topP < 1 || temperature != 1.0;
    if (!dtype.equals("float32") && !dtype.equals("bfloat16"))
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--dtype must be float32 or bfloat16, not '" + dtype + "'");
    // --prompt goes through the folder's tokenizer and chat template; --prompt-ids does not
    try (TextTokenizer tok = prompt.text == null ? null : TextTokenizer.fromModelDir(model);
        NDManager m = device.manager();
        DecoderWeights w =
            DecoderWeights.load(model, m, LoadReport.stderr(model), dtype.equals("bfloat16"));
        LoraAdapter lora = adapter == null ? null : LoraAdapter.load(adapter, w)) {
      long[] ids =
          tok == null
              ? prompt.ids.stream().mapToLong(s -> parseId(s.trim())).toArray()
              : tok.encode(rendered());
      Set<Long> stop = eos(w);
      if (tok != null && eosIds == null) tok.tokenId("<|im_end|>").ifPresent(stop::add);
      Decoder net = new Decoder(w);
      net.setHook(lora);
      SamplingConfig cfg =
          new SamplingConfig(maxNewTokens, sampling, temperature, topK, topP, seed, stop, 0);
      long[] out = new Generator(net).generate(List.of(ids), cfg).get(0);
      spec.commandLine()
          .getOut()
          .println(
              tok == null
                  ? new ObjectMapper().writeValueAsString(out)
                  : tok.decode(Arrays.copyOfRange(out, ids.length, out.length), true));
    }
    return 0;
  }

  /** --prompt as the model sees it: a user turn and a generation prompt, or as is with --raw. */
  private String rendered() {
    return raw
        ? prompt.text
        : ChatTemplate.fromModelDirOrChatMl(model)
            .render(List.of(new Message("user", prompt.text, null)), true);
  }

  private Set<Long> eos(DecoderWeights w) throws Exception {
    Set<Long> ids = new HashSet<>();
    if (eosIds != null) {
      for (String s : eosIds) if (!s.equals("none")) ids.add(parseId(s.trim()));
      return ids;
    }
    Path gen = model.resolve("generation_config.json");
    if (Files.exists(gen)) {
      var n = new ObjectMapper().readTree(gen.toFile()).path("eos_token_id");
      if (n.isArray()) n.forEach(x -> ids.add(x.asLong()));
      else if (n.isNumber()) ids.add(n.asLong());
      return ids;
    }
    w.config().eosTokenIds().forEach(i -> ids.add((long) i));
    return ids;
  }

  private static long parseId(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--prompt-ids/--eos-ids: '" + s + "' is not a token id");
    }
  }
}
