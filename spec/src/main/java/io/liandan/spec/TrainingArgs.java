package io.liandan.spec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A training stage's hyperparameters under the names users know from transformers'
 * TrainingArguments, TRL's SFTConfig/DPOConfig and PEFT's LoraConfig (LoRA fields with
 * LLaMA-Factory's {@code lora_} prefix), with their defaults where those are sensible for small
 * runs. Parsed from JSON by {@link #parse}, which reports every unknown key and bad value at once,
 * each with its path.
 *
 * <p>GPU keys: {@code fp16} (TrainingArguments' name) computes the linear layers in float16 with
 * float32 master weights and dynamic loss scaling; {@code quantization_bit} 4 (LLaMA-Factory's
 * name; 0 = none) stores the frozen decoder linears in NF4 for Q-LoRA, {@code double_quantization}
 * (bitsandbytes' bnb_4bit_use_double_quant) also quantizes their scales. {@code
 * gradient_checkpointing} (TrainingArguments' name) re-runs each decoder layer in backward instead
 * of keeping its activations. {@code frozen_dtype} {@code bfloat16} keeps the weights that do not
 * train — the base under LoRA or Q-LoRA (its embedding and lm_head; NF4 linears stay NF4), a
 * DPO/KTO reference copy, the models an eval stage loads — in bf16 (half their memory, the CPU's
 * bf16 matmuls), adapters, activations, the loss and the optimizer in float32. {@code bf16}
 * (TrainingArguments' name) multiplies the decoder's linear layers in bf16 over float32 master
 * weights (torch.autocast's way for linears; no loss scaling), see llm's {@code
 * Decoder.setBf16Matmuls}.
 *
 * <p>{@code kernels}: {@code torch} (the default) runs attention (scaled_dot_product_attention) and
 * AdamW (fused) inside libtorch through a TorchScript module, {@code reference} as DJL ops. The
 * default is {@code torch} whatever the machine: the workflow parses these arguments and keys its
 * stage cache on them, so they must mean the same on every worker that replays it (llm's {@code
 * liandan.kernels} / {@code LIANDAN_KERNELS} choose for generation and evaluation outside a spec).
 *
 * <p>Preference keys (dpo stage), TRL 1.16's names: {@code loss_type} (one name or a list, combined
 * with {@code loss_weights}), {@code label_smoothing}, {@code rpo_alpha} (shorthand for an added
 * sft term), and the reference-free methods {@code orpo} ({@code beta} = ORPO's λ) and {@code
 * simpo} ({@code simpo_gamma}, {@code cpo_alpha}); see {@link PreferenceConfig}. KTO keys (kto
 * stage), KTOConfig's names: {@code beta}, {@code desirable_weight}, {@code undesirable_weight}.
 *
 * <p>{@code max_length} is the packing block size for {@code pt}, the sequence cap for {@code sft}
 * and the prompt+completion cap for {@code dpo}; the tokenize stage reads it from here.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.ALWAYS)
public record TrainingArgs(
    String finetuningType,
    double learningRate,
    double numTrainEpochs,
    long maxSteps,
    int perDeviceTrainBatchSize,
    int perDeviceEvalBatchSize,
    int gradientAccumulationSteps,
    double warmupRatio,
    long warmupSteps,
    String lrSchedulerType,
    double weightDecay,
    double adamBeta1,
    double adamBeta2,
    double adamEpsilon,
    double maxGradNorm,
    long loggingSteps,
    long evalSteps,
    long saveSteps,
    int saveTotalLimit,
    long seed,
    int loraR,
    double loraAlpha,
    double loraDropout,
    List<String> loraTargetModules,
    boolean useRslora,
    double beta,
    int maxLength,
    int maxPromptLength,
    int maxNewTokens,
    String saveDtype,
    int quantizationBit,
    boolean doubleQuantization,
    boolean fp16,
    boolean gradientCheckpointing,
    String kernels,
    List<String> lossType,
    List<Double> lossWeights,
    double labelSmoothing,
    double rpoAlpha,
    double simpoGamma,
    double cpoAlpha,
    double desirableWeight,
    double undesirableWeight,
    String frozenDtype,
    boolean bf16) {

  public static final List<String> FINETUNING_TYPES = List.of("full", "lora");
  public static final List<String> SAVE_DTYPES = List.of("float32", "bfloat16", "float16");
  public static final List<String> KERNELS = List.of("torch", "reference");
  public static final List<String> LR_SCHEDULER_TYPES =
      List.of("linear", "cosine", "constant", "constant_with_warmup");
  public static final List<String> FROZEN_DTYPES = List.of("float32", "bfloat16");

  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public TrainingArgs {
    loraTargetModules = loraTargetModules == null ? List.of() : List.copyOf(loraTargetModules);
    lossType = lossType == null || lossType.isEmpty() ? List.of("sigmoid") : List.copyOf(lossType);
    lossWeights = lossWeights == null ? List.of() : List.copyOf(lossWeights);
  }

  /** The defaults: transformers' where they fit a small run, LLaMA-Factory's for LoRA. */
  public static TrainingArgs defaults() {
    return new TrainingArgs(
        "lora",
        5e-5,
        3.0,
        -1,
        8,
        8,
        1,
        0.0,
        0,
        "linear",
        0.0,
        0.9,
        0.999,
        1e-8,
        1.0,
        10,
        0,
        0,
        0,
        42,
        8,
        16,
        0.0,
        List.of(LoraConfig.ALL_LINEAR),
        false,
        0.1,
        1024,
        512,
        64,
        "float32",
        0,
        true,
        false,
        false,
        "torch",
        List.of("sigmoid"),
        List.of(),
        0.0,
        0.0,
        0.5,
        0.0,
        1.0,
        1.0,
        "float32",
        false);
  }

  /**
   * Reads {@code node} over the defaults. Problems (unknown keys, wrong types, bad values) are
   * appended to {@code problems} as {@code where.key: message}; returns null when there were any.
   */
  public static TrainingArgs parse(JsonNode node, String where, List<String> problems) {
    return parse(node, where, problems, null);
  }

  /** The same, adding what {@link #problems(String)} finds for {@code stage} (null: none). */
  public static TrainingArgs parse(
      JsonNode node, String where, List<String> problems, String stage) {
    int before = problems.size();
    if (node == null || node.isNull()) node = JSON.createObjectNode();
    if (!node.isObject()) {
      problems.add(where + ": must be an object");
      return null;
    }
    ObjectNode merged = JSON.valueToTree(defaults());
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      JsonNode v = node.get(key);
      JsonNode def = merged.get(key);
      if (def == null) {
        problems.add(where + "." + key + ": unknown hyperparameter" + suggestion(key, merged));
      } else if (!sameType(key, def, v)) {
        problems.add(where + "." + key + ": must be " + typeName(key, def) + ", got " + v);
      } else {
        merged.set(key, def.isArray() && !v.isArray() ? JSON.createArrayNode().add(v) : v);
      }
    }
    // the known keys' values are checked even beside an unknown or mistyped key (those keep their
    // defaults here), so one pass lists every problem: lerning_rate's "did you mean" and a bad
    // learning_rate together
    TrainingArgs args = JSON.convertValue(merged, TrainingArgs.class);
    for (String p : args.problems()) problems.add(where + "." + p);
    if (stage != null) for (String p : args.problems(stage)) problems.add(where + "." + p);
    return problems.size() > before ? null : args;
  }

  /** Every bad value, as {@code key: message}. */
  public List<String> problems() {
    List<String> p = new ArrayList<>();
    if (!FINETUNING_TYPES.contains(finetuningType))
      p.add("finetuning_type: '" + finetuningType + "' is not one of " + FINETUNING_TYPES);
    if (!(learningRate > 0 && learningRate < 1))
      p.add("learning_rate: must be in (0, 1), got " + learningRate);
    if (maxSteps <= 0 && !(numTrainEpochs > 0))
      p.add("num_train_epochs: must be > 0 when max_steps is not set, got " + numTrainEpochs);
    if (maxSteps == 0 || maxSteps < -1) p.add("max_steps: must be > 0 or -1, got " + maxSteps);
    positive(p, "per_device_train_batch_size", perDeviceTrainBatchSize);
    positive(p, "per_device_eval_batch_size", perDeviceEvalBatchSize);
    positive(p, "gradient_accumulation_steps", gradientAccumulationSteps);
    if (!(warmupRatio >= 0 && warmupRatio <= 1))
      p.add("warmup_ratio: must be in [0, 1], got " + warmupRatio);
    if (warmupSteps < 0) p.add("warmup_steps: must be >= 0, got " + warmupSteps);
    if (!LR_SCHEDULER_TYPES.contains(lrSchedulerType))
      p.add("lr_scheduler_type: '" + lrSchedulerType + "' is not one of " + LR_SCHEDULER_TYPES);
    if (!(weightDecay >= 0)) p.add("weight_decay: must be >= 0, got " + weightDecay);
    if (!(adamBeta1 >= 0 && adamBeta1 < 1))
      p.add("adam_beta1: must be in [0, 1), got " + adamBeta1);
    if (!(adamBeta2 >= 0 && adamBeta2 < 1))
      p.add("adam_beta2: must be in [0, 1), got " + adamBeta2);
    if (!(adamEpsilon > 0)) p.add("adam_epsilon: must be > 0, got " + adamEpsilon);
    if (!(maxGradNorm >= 0)) p.add("max_grad_norm: must be >= 0 (0 = no clipping)");
    positive(p, "logging_steps", loggingSteps);
    if (evalSteps < 0) p.add("eval_steps: must be >= 0 (0 = only at the end), got " + evalSteps);
    if (saveSteps < 0) p.add("save_steps: must be >= 0 (0 = only at the end), got " + saveSteps);
    if (saveTotalLimit < 0) p.add("save_total_limit: must be >= 0 (0 = keep all)");
    if (finetuningType.equals("lora")) {
      for (String s : LoraConfig.of(loraR, loraAlpha, loraDropout, loraTargetModules).problems()) {
        String name = s.substring(0, s.indexOf(' ')); // PEFT's name: r, lora_alpha, …
        p.add(
            (name.startsWith("lora_") ? name : "lora_" + name) + ":" + s.substring(name.length()));
      }
    }
    for (String s : preferenceLoss().problems()) if (!s.startsWith("beta:")) p.add(s); // below
    if (!(beta > 0)) p.add("beta: must be > 0, got " + beta);
    if (!(rpoAlpha >= 0)) p.add("rpo_alpha: must be >= 0, got " + rpoAlpha);
    else if (rpoAlpha > 0 && (lossType.contains("sft") || preferenceLoss().referenceFree()))
      p.add(
          "rpo_alpha: adds TRL's sft term to a DPO loss; with "
              + lossType
              + " give loss_type and loss_weights instead");
    if (!(desirableWeight > 0)) p.add("desirable_weight: must be > 0, got " + desirableWeight);
    if (!(undesirableWeight > 0))
      p.add("undesirable_weight: must be > 0, got " + undesirableWeight);
    if (maxLength < 2) p.add("max_length: must be >= 2, got " + maxLength);
    if (maxPromptLength < 1) p.add("max_prompt_length: must be >= 1, got " + maxPromptLength);
    if (maxNewTokens < 0) p.add("max_new_tokens: must be >= 0, got " + maxNewTokens);
    if (quantizationBit != 0 && quantizationBit != 4)
      p.add(
          "quantization_bit: only 4 (NF4, Q-LoRA) or 0 (none) is supported, got "
              + quantizationBit);
    else if (quantizationBit == 4 && !lora())
      p.add(
          "quantization_bit: 4-bit base weights are frozen, so quantization needs finetuning_type"
              + " lora (Q-LoRA), not "
              + finetuningType);
    if (!KERNELS.contains(kernels)) p.add("kernels: '" + kernels + "' is not one of " + KERNELS);
    if (!SAVE_DTYPES.contains(saveDtype))
      p.add("save_dtype: '" + saveDtype + "' is not one of " + SAVE_DTYPES);
    if (!FROZEN_DTYPES.contains(frozenDtype))
      p.add("frozen_dtype: '" + frozenDtype + "' is not one of " + FROZEN_DTYPES);
    if (bf16 && fp16) p.add("bf16: fp16 and bf16 exclude each other (pick one)");
    if (bf16 && kernels.equals("reference"))
      p.add("bf16: the bf16 matmuls run in the torch kernels; kernels: reference has none");
    return p;
  }

  /**
   * What a value means only for some stage: KTO's per-batch KL estimate needs two examples a batch
   * (TRL's KTOTrainer refuses one), KTO has its own loss, and its trainer has no fp16 or gradient
   * checkpointing yet; frozen_dtype needs something frozen. As {@code key: message}.
   */
  public List<String> problems(String stage) {
    List<String> p = new ArrayList<>();
    if (stage.equals("kto")) {
      if (perDeviceTrainBatchSize < 2)
        p.add(
            "per_device_train_batch_size: kto needs >= 2 (the KL estimate pairs each prompt with"
                + " another example's completion in the same batch), got "
                + perDeviceTrainBatchSize);
      if (!lossType.equals(List.of("sigmoid")) || !lossWeights.isEmpty() || rpoAlpha > 0)
        p.add("loss_type: a kto stage trains KTO's loss; loss_type belongs to a dpo stage");
    } else if (desirableWeight != 1 || undesirableWeight != 1) {
      p.add(
          (desirableWeight != 1 ? "desirable_weight" : "undesirable_weight")
              + ": a KTO weight, for a kto stage, not "
              + stage);
    }
    boolean referenceCopy =
        stage.equals("kto") || (stage.equals("dpo") && !preferenceLoss().referenceFree());
    if (frozenBf16() && !lora() && !referenceCopy && !stage.equals("eval"))
      p.add(
          "frozen_dtype: bfloat16 keeps frozen weights (a LoRA base, a dpo/kto reference) in"
              + " bf16; full fine-tuning of this "
              + stage
              + " stage trains every weight in float32, so nothing would be frozen");
    return p;
  }

  /**
   * How the tokenize stage prepares data for {@code stage}: PT packs blocks of max_length, SFT caps
   * at max_length (loss on every assistant turn), DPO and KTO cap prompt and completions as TRL
   * does. {@code evalRatio} of the samples go to the seeded held-out split (unless the data has its
   * own).
   */
  public TokenizeSpec tokenizeSpec(String stage, double evalRatio) {
    return switch (stage) {
      case "pt" -> TokenizeSpec.pt(maxLength, evalRatio, seed);
      case "sft" -> TokenizeSpec.sft(maxLength, false, evalRatio, seed);
      case "dpo", "kto" -> {
        if (maxPromptLength >= maxLength)
          throw new IllegalArgumentException(
              "max_prompt_length ("
                  + maxPromptLength
                  + ") must be below max_length ("
                  + maxLength
                  + ") for "
                  + stage
                  + ": the completions need room");
        yield stage.equals("dpo")
            ? TokenizeSpec.dpo(maxLength, maxPromptLength, evalRatio, seed)
            : TokenizeSpec.kto(maxLength, maxPromptLength, evalRatio, seed);
      }
      default ->
          throw new IllegalArgumentException("stage '" + stage + "' is not pt, sft, dpo or kto");
    };
  }

  /**
   * The preference loss by TRL's names. {@code rpo_alpha} (TRL before 1.0; RPO) is the sft term
   * that TRL 1.16 spells {@code loss_type [..., "sft"]} with weight α.
   */
  public PreferenceConfig preferenceLoss() {
    List<String> types = new ArrayList<>(lossType);
    List<Double> weights = new ArrayList<>(lossWeights);
    if (rpoAlpha > 0 && !types.contains("sft")) {
      if (weights.isEmpty()) weights.addAll(java.util.Collections.nCopies(types.size(), 1.0));
      types.add("sft");
      weights.add(rpoAlpha);
    }
    return new PreferenceConfig(types, weights, beta, labelSmoothing, simpoGamma, cpoAlpha);
  }

  public LoraConfig loraConfig() {
    return new LoraConfig(loraR, loraAlpha, loraDropout, loraTargetModules, null, useRslora);
  }

  public boolean lora() {
    return finetuningType.equals("lora");
  }

  /** Whether frozen weights (a LoRA base, a DPO/KTO reference, an eval model) stay in bf16. */
  public boolean frozenBf16() {
    return frozenDtype.equals("bfloat16");
  }

  /** The JSON form, snake_case, every field. */
  public ObjectNode toJson() {
    return JSON.valueToTree(this);
  }

  private static void positive(List<String> p, String name, long v) {
    if (v < 1) p.add(name + ": must be >= 1, got " + v);
  }

  private static boolean sameType(String key, JsonNode def, JsonNode v) {
    if (key.equals("loss_weights")) return v.isNumber() || (v.isArray() && allNumbers(v));
    if (def.isNumber())
      return v.isNumber() && (!def.isIntegralNumber() || v.asDouble() == Math.rint(v.asDouble()));
    if (def.isBoolean()) return v.isBoolean();
    if (def.isTextual()) return v.isTextual();
    if (def.isArray()) return v.isTextual() || (v.isArray() && allText(v));
    return true;
  }

  private static boolean allNumbers(JsonNode arr) {
    for (JsonNode e : arr) if (!e.isNumber()) return false;
    return true;
  }

  private static boolean allText(JsonNode arr) {
    for (JsonNode e : arr) if (!e.isTextual()) return false;
    return true;
  }

  private static String typeName(String key, JsonNode def) {
    if (key.equals("loss_weights")) return "a number or a list of numbers";
    if (key.equals("loss_type")) return "a loss name or a list of them";
    if (def.isIntegralNumber()) return "an integer";
    if (def.isNumber()) return "a number";
    if (def.isBoolean()) return "true or false";
    if (def.isArray()) return "a module name or a list of them";
    return "a string";
  }

  /** " (did you mean x?)" for a near miss of a known key, else "". */
  private static String suggestion(String key, ObjectNode known) {
    String best = null;
    int bestD = 3;
    for (Iterator<String> it = known.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      int d = editDistance(key, k);
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    return best == null ? "" : " (did you mean " + best + "?)";
  }

  private static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
