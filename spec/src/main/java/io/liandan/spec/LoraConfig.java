package io.liandan.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * LoRA hyperparameters with PEFT's names and semantics: rank r, scale alpha/r (alpha/√r with
 * rsLoRA), dropout on the adapter's input, and target modules as PEFT matches them — a list of name
 * suffixes, a regular expression that must match the whole module name, or "all-linear" (every
 * linear layer but lm_head).
 */
public record LoraConfig(
    int r,
    double loraAlpha,
    double loraDropout,
    List<String> targetModules,
    String targetRegex,
    boolean useRslora) {

  public static final String ALL_LINEAR = "all-linear";

  public LoraConfig {
    targetModules = targetModules == null ? List.of() : List.copyOf(targetModules);
  }

  /** Adapters on the listed module suffixes ("q_proj", "v_proj", …) or {@link #ALL_LINEAR}. */
  public static LoraConfig of(int r, double alpha, double dropout, List<String> targets) {
    return new LoraConfig(r, alpha, dropout, targets, null, false);
  }

  /** Validates; returns every problem in PEFT's field names. */
  public List<String> problems() {
    List<String> p = new ArrayList<>();
    if (r <= 0) p.add("r must be positive, got " + r);
    if (!(loraAlpha > 0)) p.add("lora_alpha must be positive, got " + loraAlpha);
    if (!(loraDropout >= 0 && loraDropout < 1))
      p.add("lora_dropout must be in [0, 1), got " + loraDropout);
    if (targetModules.isEmpty() && targetRegex == null) p.add("target_modules is empty");
    return p;
  }

  /** The factor on B·A. */
  public double scale() {
    return useRslora ? loraAlpha / Math.sqrt(r) : loraAlpha / r;
  }

  /** Whether PEFT would put an adapter on linear module {@code name}. */
  public boolean targets(String name) {
    if (targetRegex != null) return Pattern.compile(targetRegex).matcher(name).matches();
    if (targetModules.contains(ALL_LINEAR)) return !name.equals("lm_head");
    for (String t : targetModules) {
      if (name.equals(t) || name.endsWith("." + t)) return true;
    }
    return false;
  }

  /**
   * Reads PEFT's {@code adapter_config.json}, refusing the variants whose numbers Liandan would get
   * wrong (DoRA, per-module ranks, trained biases, extra saved modules) rather than ignoring them.
   */
  public static LoraConfig read(Path file) {
    JsonNode n;
    try {
      n = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": not valid JSON: " + e.getMessage(), e);
    }
    List<String> problems = new ArrayList<>();
    String type = n.path("peft_type").asText("LORA");
    if (!type.equals("LORA")) problems.add("peft_type '" + type + "' is not supported (only LORA)");
    if (n.path("use_dora").asBoolean(false)) problems.add("use_dora: true is not supported");
    if (!n.path("bias").asText("none").equals("none"))
      problems.add("bias '" + n.path("bias").asText() + "' is not supported (only none)");
    if (n.path("lora_bias").asBoolean(false)) problems.add("lora_bias: true is not supported");
    for (String k : List.of("rank_pattern", "alpha_pattern")) {
      if (n.path(k).size() > 0) problems.add(k + " is not supported (one r and alpha for all)");
    }
    for (String k : List.of("layers_to_transform", "modules_to_save", "layer_replication")) {
      if (!n.path(k).isMissingNode() && !n.path(k).isNull()) problems.add(k + " is not supported");
    }
    if (n.path("fan_in_fan_out").asBoolean(false))
      problems.add("fan_in_fan_out: true is not supported");
    JsonNode t = n.path("target_modules");
    List<String> targets = new ArrayList<>();
    String regex = null;
    if (t.isArray()) t.forEach(x -> targets.add(x.asText()));
    else if (t.isTextual() && t.asText().equals(ALL_LINEAR)) targets.add(ALL_LINEAR);
    else if (t.isTextual()) regex = t.asText();
    else problems.add("target_modules is missing");
    LoraConfig c =
        new LoraConfig(
            n.path("r").asInt(8),
            n.path("lora_alpha").asDouble(8),
            n.path("lora_dropout").asDouble(0),
            targets,
            regex,
            n.path("use_rslora").asBoolean(false));
    if (problems.isEmpty()) problems.addAll(c.problems());
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(file + ": " + String.join("; ", problems));
    }
    return c;
  }

  /** PEFT's adapter_config.json for this config; {@code modules} are the suffixes adapted. */
  public String toPeftJson(List<String> modules, String baseModel) {
    ObjectMapper json = new ObjectMapper();
    var o = json.createObjectNode();
    o.putObject("alpha_pattern");
    o.put("base_model_name_or_path", baseModel);
    o.put("bias", "none");
    o.put("fan_in_fan_out", false);
    o.put("inference_mode", true);
    o.put("init_lora_weights", true);
    o.putNull("layers_pattern");
    o.putNull("layers_to_transform");
    if (loraAlpha == Math.rint(loraAlpha)) o.put("lora_alpha", (int) loraAlpha);
    else o.put("lora_alpha", loraAlpha);
    o.put("lora_dropout", loraDropout);
    o.putNull("modules_to_save");
    o.put("peft_type", "LORA");
    o.put("r", r);
    o.putObject("rank_pattern");
    o.putNull("revision");
    if (targetRegex != null) o.put("target_modules", targetRegex);
    else modules.forEach(o.putArray("target_modules")::add);
    o.put("task_type", "CAUSAL_LM");
    o.put("use_dora", false);
    o.put("use_rslora", useRslora);
    try {
      return json.writerWithDefaultPrettyPrinter().writeValueAsString(o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Reads a config file if the folder has one, for error messages naming it. */
  public static Path configFile(Path dir) {
    Path f = dir.resolve("adapter_config.json");
    if (!Files.exists(f))
      throw new IllegalArgumentException(
          dir + ": no adapter_config.json (is this a PEFT adapter folder?)");
    return f;
  }
}
