package io.liandan.llm.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A decoder of the Qwen2 / Llama / Mistral / Qwen3 / Gemma 2 / Gemma 3 / Phi-3 families as Hugging
 * Face's {@code config.json} describes it, read once and validated here; derived sizes (head_dim,
 * GQA groups, the rotated part of a head) and the switches where the families differ (biases, q/k
 * norms, fused projections, sliding windows and which layers slide, RoPE scaling and local bases,
 * Gemma's norms, scales and soft-caps) are computed in one place. Accepts both the Hub style
 * (top-level {@code rope_theta}, {@code torch_dtype}) and the transformers-5 style ({@code
 * rope_parameters}, {@code dtype}). Other architectures are refused, naming the families that load.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DecoderConfig(
    @JsonProperty("model_type") String modelType,
    @JsonProperty("vocab_size") int vocabSize,
    @JsonProperty("hidden_size") int hiddenSize,
    @JsonProperty("intermediate_size") int intermediateSize,
    @JsonProperty("num_hidden_layers") int numHiddenLayers,
    @JsonProperty("num_attention_heads") int numAttentionHeads,
    @JsonProperty("num_key_value_heads") int numKeyValueHeads,
    @JsonProperty("max_position_embeddings") int maxPositionEmbeddings,
    @JsonProperty("rope_theta") double ropeTheta,
    @JsonProperty("rms_norm_eps") double rmsNormEps,
    @JsonProperty("tie_word_embeddings") boolean tieWordEmbeddings,
    @JsonProperty("initializer_range") double initializerRange,
    @JsonProperty("bos_token_id") Integer bosTokenId,
    @JsonProperty("eos_token_id") List<Integer> eosTokenIds,
    @JsonProperty("torch_dtype") String torchDtype,
    @JsonProperty("head_dim") Integer explicitHeadDim,
    @JsonProperty("attention_bias") Boolean explicitAttentionBias,
    @JsonProperty("sliding_window") Integer slidingWindow,
    @JsonProperty("rope_scaling") RopeScaling ropeScaling,
    @JsonProperty("layer_types") List<String> layerTypes,
    @JsonProperty("rope_local_base_freq") Double ropeLocalBaseFreq,
    @JsonProperty("query_pre_attn_scalar") Integer queryPreAttnScalar,
    @JsonProperty("attn_logit_softcapping") Double attnLogitSoftcapping,
    @JsonProperty("final_logit_softcapping") Double finalLogitSoftcapping,
    @JsonProperty("partial_rotary_factor") Double partialRotaryFactor,
    @JsonProperty("pad_token_id") Integer padTokenId) {

  /** The decoder families this one forward pass computes, by config.json's model_type. */
  public static final List<String> FAMILIES =
      List.of("qwen2", "llama", "mistral", "qwen3", "gemma2", "gemma3_text", "phi3");

  /** A layer that attends to its last {@code sliding_window} keys only (Gemma's layer_types). */
  public static final String SLIDING = "sliding_attention";

  public static final String FULL = "full_attention";

  /**
   * RoPE frequency scaling as config.json's {@code rope_scaling} gives it, with transformers'
   * defaults filled in: {@code linear} (positions / factor), {@code llama3} (Llama 3.1's smooth
   * low-frequency stretch), {@code dynamic} (NTK: the base grows once a forward runs past
   * max_position_embeddings), {@code yarn} (a ramp between stretched and kept frequencies, cos/sin
   * scaled by attention_factor) or {@code longrope} (per-frequency short or long factors, chosen by
   * the forward's length, cos/sin scaled by attention_factor). See {@link RopeScalings}.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RopeScaling(
      @JsonProperty("rope_type") String ropeType,
      @JsonProperty("factor") double factor,
      @JsonProperty("low_freq_factor") Double lowFreqFactor,
      @JsonProperty("high_freq_factor") Double highFreqFactor,
      @JsonProperty("original_max_position_embeddings") Integer originalMaxPositionEmbeddings,
      @JsonProperty("attention_factor") Double attentionFactor,
      @JsonProperty("beta_fast") Double betaFast,
      @JsonProperty("beta_slow") Double betaSlow,
      @JsonProperty("truncate") Boolean truncate,
      @JsonProperty("short_factor") List<Double> shortFactor,
      @JsonProperty("long_factor") List<Double> longFactor) {

    public RopeScaling {
      shortFactor = shortFactor == null ? null : List.copyOf(shortFactor);
      longFactor = longFactor == null ? null : List.copyOf(longFactor);
    }

    /** A linear or llama3 scaling (the types without an attention factor or factor lists). */
    public RopeScaling(
        String ropeType,
        double factor,
        Double lowFreqFactor,
        Double highFreqFactor,
        Integer originalMaxPositionEmbeddings) {
      this(
          ropeType,
          factor,
          lowFreqFactor,
          highFreqFactor,
          originalMaxPositionEmbeddings,
          null,
          null,
          null,
          null,
          null,
          null);
    }
  }

  static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public DecoderConfig {
    eosTokenIds = eosTokenIds == null ? List.of() : List.copyOf(eosTokenIds);
    layerTypes = layerTypes == null ? null : List.copyOf(layerTypes);
  }

  /** A config whose head width is hidden_size / num_attention_heads (no head_dim key). */
  public DecoderConfig(
      String modelType,
      int vocabSize,
      int hiddenSize,
      int intermediateSize,
      int numHiddenLayers,
      int numAttentionHeads,
      int numKeyValueHeads,
      int maxPositionEmbeddings,
      double ropeTheta,
      double rmsNormEps,
      boolean tieWordEmbeddings,
      double initializerRange,
      Integer bosTokenId,
      List<Integer> eosTokenIds,
      String torchDtype) {
    this(
        modelType,
        vocabSize,
        hiddenSize,
        intermediateSize,
        numHiddenLayers,
        numAttentionHeads,
        numKeyValueHeads,
        maxPositionEmbeddings,
        ropeTheta,
        rmsNormEps,
        tieWordEmbeddings,
        initializerRange,
        bosTokenId,
        eosTokenIds,
        torchDtype,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }

  /**
   * Per-head width: config.json's head_dim when given (transformers' Qwen2 honours it, and an odd
   * hidden_size needs it, since rotary heads are even), else hidden_size / num_attention_heads.
   */
  public int headDim() {
    return explicitHeadDim != null ? explicitHeadDim : hiddenSize / numAttentionHeads;
  }

  /** Query heads per key/value head (grouped-query attention). */
  public int groups() {
    return numAttentionHeads / numKeyValueHeads;
  }

  /**
   * Whether q/k/v (and, outside Qwen2, o) projections carry biases: Qwen2 always has q/k/v biases;
   * Llama, Mistral and Qwen3 take config.json's attention_bias (default false) for all four; Phi-3
   * never has any (transformers' Phi3Attention ignores attention_bias).
   */
  public boolean qkvBias() {
    if (phi3()) return false;
    return modelType.equals("qwen2") || Boolean.TRUE.equals(explicitAttentionBias);
  }

  public boolean outputBias() {
    return !modelType.equals("qwen2") && !phi3() && Boolean.TRUE.equals(explicitAttentionBias);
  }

  /**
   * Phi-3 (and Phi-3.5 / Phi-4-mini): q, k and v come from one fused {@code qkv_proj} ((nH + 2·nKv)
   * · hd rows, in that order) and the MLP's gate and up from one {@code gate_up_proj} (2·I rows,
   * gate first). They stay fused in the weights, so a LoRA on {@code qkv_proj} is one A and one B,
   * as PEFT trains it, and merges write Phi-3's own names.
   */
  public boolean fusedProjections() {
    return phi3();
  }

  private boolean phi3() {
    return modelType.equals("phi3");
  }

  /**
   * Phi-3's generate() drops the KV cache once, at the step where the cache holds exactly
   * original_max_position_embeddings positions, and recomputes every position (its
   * prepare_inputs_for_generation): with longrope, keys cached under the short factors are rotated
   * again with the long ones. That cache length for Phi-3 with longrope, else 0: the other families
   * keep their cache (and with default RoPE a recompute would give the same keys).
   */
  public int generationCacheRestart() {
    boolean longrope = ropeScaling != null && ropeScaling.ropeType().equals("longrope");
    return phi3() && longrope ? ropeScaling.originalMaxPositionEmbeddings() : 0;
  }

  /**
   * How many of each head's leading dimensions RoPE rotates: int(head_dim · partial_rotary_factor)
   * as transformers computes it (Phi-4-mini: 0.75 · 128 = 96); the rest pass through unrotated.
   */
  public int rotaryDim() {
    return partialRotaryFactor == null ? headDim() : (int) (headDim() * partialRotaryFactor);
  }

  /**
   * Qwen3 and Gemma 3 normalise each head's queries and keys (RMSNorm over head_dim) before RoPE.
   */
  public boolean qkNorm() {
    return modelType.equals("qwen3") || modelType.equals("gemma3_text");
  }

  /**
   * Gemma: embeddings scaled by √hidden_size, RMSNorm weights stored as offsets from 1 ((1 +
   * w)·x̂), GELU-tanh in the MLP, and "sandwich" norms — each sublayer's output is normalised too
   * (post_attention_layernorm, post_feedforward_layernorm) before its residual add, the MLP's input
   * by pre_feedforward_layernorm.
   */
  public boolean gemma() {
    return modelType.startsWith("gemma");
  }

  /**
   * Keys a sliding layer sees at most, itself included (Mistral and Phi-3: every layer; Gemma: the
   * layers layer_types marks), or 0 for all before it. Qwen2 and Qwen3 write a sliding_window but
   * use it only with use_sliding_window, refused here.
   */
  public int attentionWindow() {
    if (slidingWindow == null) return 0;
    return modelType.equals("mistral") || phi3() || gemma() ? slidingWindow : 0;
  }

  /** Whether layer {@code i} attends through the sliding window rather than to every key. */
  public boolean slidingLayer(int i) {
    if (attentionWindow() == 0) return false;
    return layerTypes == null
        ? modelType.equals("mistral") || phi3()
        : layerTypes.get(i).equals(SLIDING);
  }

  /**
   * The RoPE base of sliding layers: Gemma 3's local base (10,000 against the global 1,000,000);
   * everyone else's sliding layers rotate as the global ones.
   */
  public double localRopeTheta() {
    return ropeLocalBaseFreq != null ? ropeLocalBaseFreq : ropeTheta;
  }

  /** The factor on q·kᵀ: Gemma's query_pre_attn_scalar^-½ instead of head_dim^-½. */
  public double attentionScale() {
    return 1.0 / Math.sqrt(queryPreAttnScalar != null ? queryPreAttnScalar : headDim());
  }

  /** The Hugging Face class name transformers instantiates for this config. */
  @JsonProperty("architectures")
  public List<String> architectures() {
    return List.of(
        switch (modelType) {
          case "llama" -> "LlamaForCausalLM";
          case "mistral" -> "MistralForCausalLM";
          case "qwen3" -> "Qwen3ForCausalLM";
          case "gemma2" -> "Gemma2ForCausalLM";
          case "gemma3_text" -> "Gemma3ForCausalLM";
          case "phi3" -> "Phi3ForCausalLM";
          default -> "Qwen2ForCausalLM";
        });
  }

  @JsonProperty("hidden_act")
  public String hiddenAct() {
    return gemma() ? GELU_TANH : "silu";
  }

  /** Gemma's MLP activation, under the name its configs read (transformers' gelu_pytorch_tanh). */
  static final String GELU_TANH = "gelu_pytorch_tanh";

  /** Reads {@code dir/config.json} (or the file itself when {@code path} is a file). */
  public static DecoderConfig load(Path path) {
    Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
    if (!Files.exists(file)) {
      throw new IllegalArgumentException(file + ": no config.json (is this a model folder?)");
    }
    try {
      return fromJson(JSON.readTree(file.toFile()), file.toString());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": not valid JSON: " + e.getMessage(), e);
    }
  }

  /** Maps a parsed config.json; {@code source} names the file in error messages. */
  public static DecoderConfig fromJson(JsonNode n, String source) {
    List<String> problems = new ArrayList<>();
    String type = n.path("model_type").asText("");
    requireFamily(type, source);
    boolean gemma = type.startsWith("gemma");
    // transformers 5 writes rope_parameters (theta and scaling in one object; Gemma 3 one per
    // layer type), the Hub rope_scaling, rope_theta and Gemma 3's rope_local_base_freq
    JsonNode rope = n.path("rope_parameters");
    Double localTheta = localRopeTheta(n, rope, type, problems);
    if (rope.path(FULL).isObject()) rope = rope.get(FULL);
    JsonNode scaling = rope.isObject() ? rope : n.path("rope_scaling");
    String ropeType =
        scaling.isObject()
            ? scaling.path("rope_type").asText(scaling.path("type").asText("default"))
            : "default";
    // transformers' default for Phi-3 (longrope derives its factor from it); 32768 elsewhere
    int maxPositions = n.path("max_position_embeddings").asInt(type.equals("phi3") ? 4096 : 32768);
    Double partial = partialRotaryFactor(n, scaling, type, problems);
    RopeScaling ropeScaling =
        ropeScaling(n, scaling, ropeType, type, maxPositions, partial, problems);
    Integer window = slidingWindow(n, type, problems);
    refuseUnsupportedFeatures(n, type, problems);
    double theta =
        rope.isObject() && rope.has("rope_theta")
            ? rope.get("rope_theta").asDouble()
            : n.path("rope_theta").asDouble(type.equals("gemma3_text") ? 1_000_000.0 : 10000.0);
    int layers = n.path("num_hidden_layers").asInt(0);
    List<String> layerTypes = layerTypes(n, type, layers, problems);
    if (gemma && window == null) window = 4096; // transformers' default for both
    int hidden = required(n, "hidden_size", problems);
    int heads = required(n, "num_attention_heads", problems);
    DecoderConfig c =
        new DecoderConfig(
            type,
            required(n, "vocab_size", problems),
            hidden,
            required(n, "intermediate_size", problems),
            required(n, "num_hidden_layers", problems),
            heads,
            n.path("num_key_value_heads").asInt(heads),
            maxPositions,
            theta,
            n.path("rms_norm_eps").asDouble(1e-6),
            n.path("tie_word_embeddings").asBoolean(false),
            n.path("initializer_range").asDouble(0.02),
            n.hasNonNull("bos_token_id") ? n.get("bos_token_id").asInt() : null,
            eosTokenIds(n),
            dtype(n),
            n.hasNonNull("head_dim") ? n.get("head_dim").asInt() : null,
            n.hasNonNull("attention_bias") ? n.get("attention_bias").asBoolean() : null,
            window,
            ropeScaling,
            layerTypes,
            localTheta,
            gemma ? n.path("query_pre_attn_scalar").asInt(256) : null,
            softcap(n, "attn_logit_softcapping", type.equals("gemma2") ? 50.0 : null),
            softcap(n, "final_logit_softcapping", type.equals("gemma2") ? 30.0 : null),
            partial,
            // written back as read: Phi-3's embedding takes it as padding_idx, and its default
            // (32000) is out of range for a smaller vocabulary
            n.hasNonNull("pad_token_id") ? n.get("pad_token_id").asInt() : null);
    if (problems.isEmpty()) problems.addAll(c.problems());
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(source + ": " + String.join("; ", problems));
    }
    return c;
  }

  /** eos_token_id as one id or a list of them. */
  private static List<Integer> eosTokenIds(JsonNode n) {
    List<Integer> eos = new ArrayList<>();
    JsonNode e = n.path("eos_token_id");
    if (e.isArray()) e.forEach(x -> eos.add(x.asInt()));
    else if (e.isNumber()) eos.add(e.asInt());
    return eos;
  }

  /** torch_dtype (the Hub), else dtype (transformers 5), else float32. */
  private static String dtype(JsonNode n) {
    return n.hasNonNull("torch_dtype")
        ? n.get("torch_dtype").asText()
        : n.hasNonNull("dtype") ? n.get("dtype").asText() : "float32";
  }

  private static void requireFamily(String type, String source) {
    if (!FAMILIES.contains(type)) {
      throw new IllegalArgumentException(
          source
              + ": model_type '"
              + type
              + "' is not supported; Liandan trains the decoder families "
              + String.join(", ", FAMILIES)
              + " (e.g. Qwen2.5, Llama 3, Mistral, Qwen3, Gemma 2/3, Phi-3, Phi-4-mini)");
    }
  }

  /**
   * The RoPE base of sliding layers: rope_parameters' sliding_attention entry when it has one per
   * layer type (transformers 5), else Gemma 3's rope_local_base_freq, else null.
   */
  private static Double localRopeTheta(
      JsonNode n, JsonNode rope, String type, List<String> problems) {
    if (rope.path(FULL).isObject()) {
      JsonNode local = rope.path(SLIDING);
      if (!local.path("rope_type").asText("default").equals("default"))
        problems.add("rope_parameters.sliding_attention: only the default rope_type is supported");
      return local.path("rope_theta").asDouble(10000.0);
    } else if (type.equals("gemma3_text")) {
      return n.path("rope_local_base_freq").asDouble(10000.0);
    }
    return null;
  }

  /** config.json's sliding_window as read (null when absent); Gemma's default is applied later. */
  private static Integer slidingWindow(JsonNode n, String type, List<String> problems) {
    if (n.path("use_sliding_window").asBoolean(false)) {
      problems.add("use_sliding_window: true is not supported");
    }
    Integer window =
        n.path("sliding_window").canConvertToInt() ? n.get("sliding_window").asInt() : null;
    if (type.equals("mistral") && window != null && window <= 0) {
      problems.add("sliding_window must be positive, got " + window);
    }
    return window;
  }

  /** Names the switches transformers honours that this decoder does not compute. */
  private static void refuseUnsupportedFeatures(JsonNode n, String type, List<String> problems) {
    if (n.path("mlp_bias").asBoolean(false)) {
      problems.add("mlp_bias: true is not supported");
    }
    // dropout inside the decoder would make training differ from transformers'
    if (type.equals("phi3")) {
      for (String key : List.of("resid_pdrop", "embd_pdrop", "attention_dropout"))
        if (n.path(key).asDouble(0) != 0)
          problems.add(key + " " + n.get(key).asDouble() + " is not supported (only 0)");
      if (n.path("lm_head_bias").asBoolean(false))
        problems.add("lm_head_bias: true is not supported");
    }
    // Gemma's configs name the MLP's activation hidden_activation (hidden_act is legacy there)
    boolean gemma = type.startsWith("gemma");
    String act =
        gemma ? n.path("hidden_activation").asText(GELU_TANH) : n.path("hidden_act").asText("silu");
    String wantAct = gemma ? GELU_TANH : "silu";
    if (!act.equals(wantAct)) {
      problems.add(
          (gemma ? "hidden_activation '" : "hidden_act '")
              + act
              + "' is not supported (only "
              + wantAct
              + ")");
    }
    if (n.path("use_bidirectional_attention").asBoolean(false)) {
      problems.add("use_bidirectional_attention: true is not supported");
    }
  }

  /** The RoPE scaling types Liandan computes (see {@link RopeScalings}). */
  static final List<String> ROPE_TYPES =
      List.of("default", "linear", "llama3", "dynamic", "yarn", "longrope");

  /**
   * config.json's RoPE scaling with transformers' defaults resolved (modeling_rope_utils and
   * standardize_rope_params): original_max_position_embeddings from the top-level key when there is
   * one (Phi-3 always has one, default 4096), else the scaling's, else max_position_embeddings; a
   * missing yarn/longrope factor = max_position_embeddings / original; yarn's attention_factor from
   * mscale and mscale_all_dim or 0.1·ln(factor) + 1, longrope's √(1 + ln factor / ln original).
   * Null for the default RoPE; problems named for what transformers would refuse or mis-shape.
   */
  private static RopeScaling ropeScaling(
      JsonNode n,
      JsonNode scaling,
      String ropeType,
      String type,
      int maxPositions,
      Double partial,
      List<String> problems) {
    ropeType = supportedRopeType(ropeType, type, problems);
    if (ropeType == null || ropeType.equals("default")) return null;
    Integer original =
        n.path("original_max_position_embeddings").canConvertToInt()
            ? Integer.valueOf(n.get("original_max_position_embeddings").asInt())
            : type.equals("phi3")
                ? 4096
                : scaling.path("original_max_position_embeddings").asInt(maxPositions);
    JsonNode f = scaling.path("factor");
    double factor =
        f.isNumber()
            ? f.asDouble()
            : switch (ropeType) {
              case "yarn", "longrope" -> (double) maxPositions / original;
              case "llama3" -> 8;
              default -> {
                problems.add("rope_scaling '" + ropeType + "' needs a factor");
                yield 1;
              }
            };
    if (!(factor > 0)) problems.add("rope_scaling factor must be positive, got " + factor);
    Double attention =
        scaling.path("attention_factor").isNumber()
            ? scaling.get("attention_factor").asDouble()
            : null;
    return switch (ropeType) {
      case "linear" -> new RopeScaling("linear", factor, null, null, null);
      case "dynamic" -> new RopeScaling("dynamic", factor, null, null, null);
      case "llama3" ->
          new RopeScaling(
              "llama3",
              factor,
              scaling.path("low_freq_factor").asDouble(1),
              scaling.path("high_freq_factor").asDouble(4),
              original);
      case "yarn" -> yarn(scaling, factor, original, attention);
      default -> { // longrope
        if (attention == null)
          attention = factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
        List<Double> shortF = factors(scaling, "short_factor", problems);
        List<Double> longF = factors(scaling, "long_factor", problems);
        yield new RopeScaling(
            "longrope", factor, null, null, original, attention, null, null, null, shortF, longF);
      }
    };
  }

  /**
   * The RoPE type as computed (Phi-3's legacy names su and yarn read as longrope), or null, named
   * in {@code problems}, where transformers would refuse it or this decoder does not compute it.
   */
  private static String supportedRopeType(String ropeType, String type, List<String> problems) {
    if (type.equals("phi3")) {
      // Phi3Config reads its legacy names su and yarn as longrope, and refuses everything else
      if (ropeType.equals("su") || ropeType.equals("yarn")) ropeType = "longrope";
      if (!ropeType.equals("default") && !ropeType.equals("longrope")) {
        problems.add(
            "rope_type '" + ropeType + "' is not supported for phi3 (default and longrope are)");
        return null;
      }
    }
    if (!ROPE_TYPES.contains(ropeType)) {
      problems.add(
          "rope_type '"
              + ropeType
              + "' is not supported ("
              + String.join(", ", ROPE_TYPES)
              + " are)");
      return null;
    }
    if (type.startsWith("gemma") && List.of("dynamic", "yarn", "longrope").contains(ropeType)) {
      // verified against transformers only for the families with one rotary embedding
      problems.add(
          "rope_type '"
              + ropeType
              + "' is not supported for "
              + type
              + " (default, linear, llama3)");
      return null;
    }
    return ropeType;
  }

  /** YaRN with transformers' defaults: attention_factor from mscale and mscale_all_dim. */
  private static RopeScaling yarn(
      JsonNode scaling, double factor, Integer original, Double attention) {
    double mscale = scaling.path("mscale").asDouble(0);
    double mscaleAll = scaling.path("mscale_all_dim").asDouble(0);
    if (attention == null)
      attention =
          mscale != 0 && mscaleAll != 0
              ? yarnMscale(factor, mscale) / yarnMscale(factor, mscaleAll)
              : yarnMscale(factor, 1);
    // transformers reads `beta_fast or 32`: a 0 means the default too
    double fast = scaling.path("beta_fast").asDouble(0),
        slow = scaling.path("beta_slow").asDouble(0);
    return new RopeScaling(
        "yarn",
        factor,
        null,
        null,
        original,
        attention,
        fast != 0 ? fast : 32,
        slow != 0 ? slow : 1,
        scaling.path("truncate").asBoolean(true),
        null,
        null);
  }

  /** YaRN's magnitude correction 0.1·mscale·ln(scale) + 1 (1 when not stretched). */
  private static double yarnMscale(double scale, double mscale) {
    return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
  }

  private static List<Double> factors(JsonNode scaling, String key, List<String> problems) {
    List<Double> out = new ArrayList<>();
    JsonNode a = scaling.path(key);
    if (!a.isArray()) {
      problems.add("rope_scaling longrope needs " + key + " (a list of numbers)");
      return null;
    }
    a.forEach(x -> out.add(x.asDouble()));
    return out;
  }

  /**
   * The fraction of each head RoPE rotates: rope_parameters' partial_rotary_factor, else the
   * top-level one, null for all of it. Of the families here only Phi-3's attention rotates part of
   * a head (the others' apply_rotary_pos_emb rotates all of it whatever the factor says, or fails):
   * anything but 1 is refused for them.
   */
  private static Double partialRotaryFactor(
      JsonNode n, JsonNode scaling, String type, List<String> problems) {
    JsonNode p =
        scaling.path("partial_rotary_factor").isNumber()
            ? scaling.get("partial_rotary_factor")
            : n.path("partial_rotary_factor");
    if (!p.isNumber()) return null;
    double v = p.asDouble();
    if (!(v > 0 && v <= 1)) {
      problems.add("partial_rotary_factor must be in (0, 1], got " + v);
    } else if (v != 1 && !type.equals("phi3")) {
      problems.add(
          "partial_rotary_factor " + v + " is not supported for " + type + " (only for phi3)");
    }
    return v == 1 ? null : v;
  }

  /**
   * Checks the sizes that the forward pass relies on; returns every problem, not just the first.
   */
  public List<String> problems() {
    List<String> p = new ArrayList<>();
    if (hiddenSize <= 0) p.add("hidden_size must be positive");
    if (numAttentionHeads <= 0) p.add("num_attention_heads must be positive");
    if (numKeyValueHeads <= 0) p.add("num_key_value_heads must be positive");
    if (explicitHeadDim != null && explicitHeadDim <= 0) p.add("head_dim must be positive");
    if (explicitHeadDim == null && numAttentionHeads > 0 && hiddenSize % numAttentionHeads != 0)
      p.add(
          "hidden_size "
              + hiddenSize
              + " is not divisible by num_attention_heads "
              + numAttentionHeads);
    if (numKeyValueHeads > 0 && numAttentionHeads % numKeyValueHeads != 0)
      p.add(
          "num_attention_heads "
              + numAttentionHeads
              + " is not divisible by num_key_value_heads "
              + numKeyValueHeads);
    if (numAttentionHeads > 0 && headDim() % 2 != 0)
      p.add("head_dim must be even for rotary embeddings");
    if (numAttentionHeads > 0 && headDim() > 0 && (rotaryDim() % 2 != 0 || rotaryDim() <= 0))
      p.add(
          "partial_rotary_factor "
              + partialRotaryFactor
              + " rotates "
              + rotaryDim()
              + " of head_dim "
              + headDim()
              + ": must be a positive even number");
    if (ropeScaling != null
        && ropeScaling.shortFactor() != null
        && ropeScaling.longFactor() != null
        && rotaryDim() > 0)
      for (List<Double> f : List.of(ropeScaling.shortFactor(), ropeScaling.longFactor()))
        if (f.size() != rotaryDim() / 2)
          p.add(
              "rope_scaling longrope factors have "
                  + f.size()
                  + " entries, the rotary dimension "
                  + rotaryDim()
                  + " needs "
                  + rotaryDim() / 2);
    if (vocabSize <= 0) p.add("vocab_size must be positive");
    if (intermediateSize <= 0) p.add("intermediate_size must be positive");
    if (numHiddenLayers <= 0) p.add("num_hidden_layers must be positive");
    if (attnLogitSoftcapping != null && attnLogitSoftcapping <= 0)
      p.add("attn_logit_softcapping must be positive");
    if (finalLogitSoftcapping != null && finalLogitSoftcapping <= 0)
      p.add("final_logit_softcapping must be positive");
    if (queryPreAttnScalar != null && queryPreAttnScalar <= 0)
      p.add("query_pre_attn_scalar must be positive");
    if (gemma() && slidingWindow != null && slidingWindow <= 0)
      p.add("sliding_window must be positive, got " + slidingWindow);
    return p;
  }

  /**
   * Which layers slide: config.json's layer_types when written (transformers 5), else each family's
   * pattern as transformers derives it — Gemma 2 every other layer from the first, Gemma 3 five of
   * every sliding_window_pattern (6); null for the families without per-layer types.
   */
  private static List<String> layerTypes(
      JsonNode n, String type, int layers, List<String> problems) {
    if (!type.startsWith("gemma")) return null;
    JsonNode given = n.path("layer_types");
    List<String> out = new ArrayList<>();
    if (given.isArray()) {
      given.forEach(t -> out.add(t.asText()));
      if (out.size() != layers)
        problems.add("layer_types has " + out.size() + " entries for " + layers + " layers");
      for (int i = 0; i < out.size(); i++)
        if (!out.get(i).equals(SLIDING) && !out.get(i).equals(FULL))
          problems.add(
              "layer_types["
                  + i
                  + "]: '"
                  + out.get(i)
                  + "' is not supported ("
                  + SLIDING
                  + " or "
                  + FULL
                  + ")");
      return out;
    }
    int pattern = type.equals("gemma2") ? 2 : n.path("sliding_window_pattern").asInt(6);
    for (int i = 0; i < layers; i++) out.add((i + 1) % pattern != 0 ? SLIDING : FULL);
    return out;
  }

  /** A soft-capping value: the key's number, null when written as null, else the default. */
  private static Double softcap(JsonNode n, String key, Double byDefault) {
    if (!n.has(key)) return byDefault;
    return n.get(key).isNull() ? null : n.get(key).asDouble();
  }

  private static int required(JsonNode n, String key, List<String> problems) {
    if (!n.path(key).canConvertToInt()) {
      problems.add("missing or non-integer '" + key + "'");
      return 0;
    }
    return n.get(key).asInt();
  }

  /** The config.json transformers reads back (Hub style: top-level rope_theta). */
  public String toJson() {
    try {
      Map<String, Object> m = JSON.convertValue(this, Map.class);
      if (eosTokenIds.size() == 1) m.put("eos_token_id", eosTokenIds.get(0));
      if (!modelType.equals("mistral") && !gemma()) m.put("use_sliding_window", false);
      if (gemma()) {
        // Gemma 2 defaults both caps to numbers: an absent cap must be written as null
        m.put("attn_logit_softcapping", attnLogitSoftcapping);
        m.put("final_logit_softcapping", finalLogitSoftcapping);
        m.put("hidden_activation", GELU_TANH);
      }
      m.put("attention_dropout", 0.0);
      if (phi3() && ropeScaling != null && ropeScaling.originalMaxPositionEmbeddings() != null)
        // Phi3Config takes the top-level key over the scaling's (its own default: 4096)
        m.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
      return JSON.writeValueAsString(m);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A copy with another storage dtype name (what a saved checkpoint declares). */
  public DecoderConfig withTorchDtype(String dtype) {
    return new DecoderConfig(
        modelType,
        vocabSize,
        hiddenSize,
        intermediateSize,
        numHiddenLayers,
        numAttentionHeads,
        numKeyValueHeads,
        maxPositionEmbeddings,
        ropeTheta,
        rmsNormEps,
        tieWordEmbeddings,
        initializerRange,
        bosTokenId,
        eosTokenIds,
        dtype,
        explicitHeadDim,
        explicitAttentionBias,
        slidingWindow,
        ropeScaling,
        layerTypes,
        ropeLocalBaseFreq,
        queryPreAttnScalar,
        attnLogitSoftcapping,
        finalLogitSoftcapping,
        partialRotaryFactor,
        padTokenId);
  }
}
