package io.liandan.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hyperparameters: TrainingArguments' names, every problem reported at once with its path. */
class TrainingArgsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /** What parsing {@code json} as the arguments at {@code path} reports (no stage's checks). */
  static List<String> problemsOf(String json, String path) throws Exception {
    return problemsOf(json, path, null);
  }

  /** The same, with {@code stage}'s checks. */
  static List<String> problemsOf(String json, String path, String stage) throws Exception {
    List<String> problems = new ArrayList<>();
    TrainingArgs.parse(JSON.readTree(json), path, problems, stage);
    return problems;
  }

  /** The arguments {@code json} parses to at "args" (no stage's checks), asserting no problems. */
  static TrainingArgs parsed(String json) throws Exception {
    return parsed(json, null);
  }

  /** The same, with {@code stage}'s checks. */
  static TrainingArgs parsed(String json, String stage) throws Exception {
    List<String> problems = new ArrayList<>();
    TrainingArgs a = TrainingArgs.parse(JSON.readTree(json), "args", problems, stage);
    assertTrue(problems.isEmpty(), problems.toString());
    return a;
  }

  @Test
  void everyBadValueIsNamedWithItsPath() throws Exception {
    List<String> problems = new ArrayList<>();
    TrainingArgs a =
        TrainingArgs.parse(
            JSON.readTree(
                "{\"learning_rate\": -1, \"lr_sheduler_type\": \"cosine\","
                    + " \"per_device_train_batch_size\": 0, \"lora_r\": \"8\","
                    + " \"warmup_ratio\": 1.5, \"max_steps\": 2.5}"),
            "stages[1].args",
            problems);
    assertNull(a);
    assertEquals(
        List.of(
            "stages[1].args.lr_sheduler_type: unknown hyperparameter (did you mean lr_scheduler_type?)",
            "stages[1].args.lora_r: must be an integer, got \"8\"",
            "stages[1].args.max_steps: must be an integer, got 2.5",
            "stages[1].args.learning_rate: must be in (0, 1), got -1.0",
            "stages[1].args.per_device_train_batch_size: must be >= 1, got 0",
            "stages[1].args.warmup_ratio: must be in [0, 1], got 1.5"),
        problems,
        "shape problems first, then the well-typed values' problems: an unknown key does not"
            + " hide a bad value beside it (issue 15)");

    assertEquals(
        List.of(
            "args.learning_rate: must be in (0, 1), got -1.0",
            "args.per_device_train_batch_size: must be >= 1, got 0",
            "args.warmup_ratio: must be in [0, 1], got 1.5",
            "args.lr_scheduler_type: 'cosin' is not one of [linear, cosine, constant, constant_with_warmup]",
            "args.lora_dropout: must be in [0, 1), got 1.0",
            "args.beta: must be > 0, got 0.0"),
        problemsOf(
            "{\"learning_rate\": -1, \"per_device_train_batch_size\": 0, \"warmup_ratio\": 1.5,"
                + " \"lr_scheduler_type\": \"cosin\", \"lora_dropout\": 1, \"beta\": 0}",
            "args"));
  }

  @Test
  void kernelsIsTorchOrReference() throws Exception {
    assertEquals("reference", parsed("{\"kernels\": \"reference\"}").kernels());
    assertEquals(
        List.of("args.kernels: 'flash' is not one of [torch, reference]"),
        problemsOf("{\"kernels\": \"flash\"}", "args"));
  }

  @Test
  void preferenceKeysUseTrlsNamesAndRefuseWhatTrlWouldIgnore() throws Exception {
    TrainingArgs a = parsed("{\"loss_type\": \"robust\", \"label_smoothing\": 0.1}");
    assertEquals(List.of("robust"), a.preferenceLoss().lossType(), "one name becomes a list");
    assertEquals(0.1, a.preferenceLoss().labelSmoothing());
    assertEquals(false, a.preferenceLoss().referenceFree());

    // rpo_alpha: TRL 1.16 spells it as an added sft term with that weight
    a = parsed("{\"rpo_alpha\": 0.5}");
    assertEquals(List.of("sigmoid", "sft"), a.preferenceLoss().lossType());
    assertEquals(List.of(1.0, 0.5), a.preferenceLoss().lossWeights());

    a = parsed("{\"loss_type\": \"orpo\"}");
    assertTrue(a.preferenceLoss().referenceFree(), "ORPO loads no reference");
    a = parsed("{\"loss_type\": [\"sigmoid\", \"bco_pair\"], \"loss_weights\": [0.8, 0.2]}");
    assertEquals(List.of(0.8, 0.2), a.preferenceLoss().lossWeights());

    assertEquals(
        List.of(
            "stages[2].args.loss_type: 'simpo' is a method of its own and cannot be combined",
            "stages[2].args.loss_type: 'kto' is not one of [sigmoid, hinge, ipo, exo_pair, robust,"
                + " bco_pair, apo_zero, sft] or the reference-free [orpo, simpo]",
            "stages[2].args.loss_weights: needs one weight per loss_type (3), got 1",
            "stages[2].args.label_smoothing: TRL 1.16 applies it to robust, exo_pair and simpo"
                + " only, not to [sigmoid, simpo, kto]",
            "stages[2].args.rpo_alpha: must be >= 0, got -1.0"),
        problemsOf(
            "{\"loss_type\": [\"sigmoid\", \"simpo\", \"kto\"], \"loss_weights\": [1],"
                + " \"label_smoothing\": 0.7, \"rpo_alpha\": -1}",
            "stages[2].args"));
    assertEquals(
        List.of(
            "args.loss_type: must be a loss name or a list of them, got 3",
            "args.loss_weights: must be a number or a list of numbers, got [\"a\"]"),
        problemsOf("{\"loss_type\": 3, \"loss_weights\": [\"a\"]}", "args"));
  }

  @Test
  void frozenDtypeIsFloat32OrBfloat16AndNeedsSomethingFrozen() throws Exception {
    assertEquals("float32", TrainingArgs.defaults().frozenDtype());
    assertTrue(parsed("{\"frozen_dtype\": \"bfloat16\"}", "sft").frozenBf16());
    assertEquals(
        List.of("args.frozen_dtype: 'fp8' is not one of [float32, bfloat16]"),
        problemsOf("{\"frozen_dtype\": \"fp8\"}", "args"));
    List<String> problems = new ArrayList<>();
    String full = "{\"frozen_dtype\": \"bfloat16\", \"finetuning_type\": \"full\"";
    TrainingArgs.parse(JSON.readTree(full + "}"), "args", problems, "dpo");
    assertTrue(problems.isEmpty(), "full DPO's reference copy is frozen: " + problems);
    TrainingArgs.parse(JSON.readTree(full + "}"), "args", problems, "sft");
    TrainingArgs.parse(
        JSON.readTree(full + ", \"loss_type\": \"simpo\"}"), "args", problems, "dpo");
    assertEquals(2, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("args.frozen_dtype: bfloat16 keeps frozen weights"));
  }

  @Test
  void bf16ParsesAndExcludesFp16AndTheReferenceKernels() throws Exception {
    assertTrue(!TrainingArgs.defaults().bf16());
    assertTrue(parsed("{\"bf16\": true}", "sft").bf16());
    assertEquals(
        List.of("args.bf16: fp16 and bf16 exclude each other (pick one)"),
        problemsOf("{\"bf16\": true, \"fp16\": true}", "args", "sft"));
    List<String> problems = new ArrayList<>();
    TrainingArgs.parse(
        JSON.readTree("{\"bf16\": true, \"kernels\": \"reference\"}"), "args", problems, "sft");
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("args.bf16: the bf16 matmuls run in the torch kernels"));
  }

  @Test
  void gpuKeysParseAndQuantizationNeedsLora() throws Exception {
    TrainingArgs a =
        parsed(
            "{\"quantization_bit\": 4, \"double_quantization\": false, \"fp16\": true,"
                + " \"gradient_checkpointing\": true}");
    assertEquals(4, a.quantizationBit());
    assertEquals(false, a.doubleQuantization());
    assertTrue(a.fp16());
    assertTrue(a.gradientCheckpointing());
    assertEquals(false, TrainingArgs.defaults().gradientCheckpointing(), "transformers' default");
    assertTrue(TrainingArgs.defaults().doubleQuantization(), "bitsandbytes' Q-LoRA default");
    assertEquals(0, TrainingArgs.defaults().quantizationBit(), "0 = not quantized");

    assertEquals(
        List.of(
            "args.quantization_bit: 4-bit base weights are frozen, so quantization needs"
                + " finetuning_type lora (Q-LoRA), not full"),
        problemsOf("{\"finetuning_type\": \"full\", \"quantization_bit\": 4}", "args"));
    assertEquals(
        List.of(
            "args.fp16: must be true or false, got \"yes\"",
            "args.quantization_bit: only 4 (NF4, Q-LoRA) or 0 (none) is supported, got 8"),
        problemsOf("{\"quantization_bit\": 8, \"fp16\": \"yes\"}", "args"));
    assertEquals(
        List.of("args.quantization_bit: only 4 (NF4, Q-LoRA) or 0 (none) is supported, got 8"),
        problemsOf("{\"quantization_bit\": 8}", "args"));
  }

  @Test
  void defaultsAndOverridesRoundTripThroughJsonAsTemporalSendsThem() throws Exception {
    TrainingArgs a =
        parsed(
            "{\"finetuning_type\": \"full\", \"learning_rate\": 2e-5, \"num_train_epochs\": 1,"
                + " \"lora_target_modules\": \"q_proj\"}");
    assertEquals("full", a.finetuningType());
    assertEquals(2e-5, a.learningRate());
    assertEquals(List.of("q_proj"), a.loraTargetModules(), "a single module name becomes a list");
    assertEquals(8, a.perDeviceTrainBatchSize(), "defaults fill the rest");
    ObjectMapper plain = new ObjectMapper();
    assertEquals(a, plain.readValue(plain.writeValueAsString(a), TrainingArgs.class));
    assertEquals(a, TrainingArgs.parse(a.toJson(), "args", new ArrayList<>()));
  }

  /**
   * The workflow parses these arguments and keys its stage cache on them, so what a spec leaves out
   * must not depend on the machine: a worker started with {@code -Dliandan.kernels=reference} once
   * gave a spec without {@code kernels} other stage keys than a worker without it.
   */
  @Test
  void defaultsDoNotFollowTheMachine() throws Exception {
    String before = System.getProperty("liandan.kernels");
    System.setProperty("liandan.kernels", "reference");
    try {
      TrainingArgs a = parsed("{}");
      assertEquals("torch", a.kernels());
      assertEquals(TrainingArgs.defaults().toJson(), a.toJson());
    } finally {
      if (before == null) System.clearProperty("liandan.kernels");
      else System.setProperty("liandan.kernels", before);
    }
  }
}
