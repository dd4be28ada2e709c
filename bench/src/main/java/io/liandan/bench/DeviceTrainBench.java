package io.liandan.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.cuda.CudaUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.llm.lora.LoraAdapter;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderConfig;
import io.liandan.llm.model.DecoderWeights;
import io.liandan.llm.optim.AdamW;
import io.liandan.llm.optim.GradScaler;
import io.liandan.llm.optim.LrSchedule;
import io.liandan.llm.stage.Devices;
import io.liandan.llm.train.CausalLmTrainer;
import io.liandan.llm.train.DpoTrainer;
import io.liandan.llm.train.KtoLoss;
import io.liandan.llm.train.KtoTrainer;
import io.liandan.llm.train.Optimization;
import io.liandan.spec.LoraConfig;
import io.liandan.spec.PreferenceConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntToDoubleFunction;

/**
 * One training configuration on one device, measured in one process: the device's GEMM FLOP/s
 * (float32 and float16), then tokens/s, model FLOP/s and peak memory of causal-LM training steps of
 * a Qwen2.5-0.5B-shaped model at random init — the workload {@code bench/hf/train_bench.py} runs
 * with transformers + PEFT (and TRL's DPOTrainer for {@code mode=dpo}) on the same {@link
 * BenchData}, so the two print comparable JSON lines ({@code bench/side-by-side} runs both).
 * Tokens: every token of every sequence the policy trains on, B × T a step (DPO: chosen and
 * rejected, 2 × B × T; the reference's forward passes are part of the step's cost, not tokens).
 * Peak memory: on CUDA the device's used memory (after the steps, so the caching allocator's
 * high-water mark) less what was used before the engine started, as nvidia-smi sees it; on the CPU
 * the process's peak resident memory (VmHWM) less its resident memory before the model existed, and
 * VmHWM itself ({@code rss_hwm_mb}: the whole process, as {@code train_bench.py} reports its own).
 * Run one configuration per JVM: peak memory is per process. Threads: DJL's {@code
 * -Dai.djl.pytorch.num_threads}.
 *
 * <p>{@code java -cp … io.liandan.bench.DeviceTrainBench device=cuda mode=lora batch=8 seq=512
 * steps=10 fp16=true checkpointing=false} (keys: device cpu|cuda|cuda:N, shape 0.5b|1.5b|mini,
 * layers (0 = the shape's), mode lora|qlora|full|dpo|dpo-full|kto (dpo: LoRA policy, the adapter
 * switched off as reference, β 0.1; dpo-full: every weight trained, a frozen copy as reference;
 * kto: LoRA, the same pairs unpaired into 2·batch KTO examples, the adapter-off reference),
 * loss_type (dpo modes: any of {@link PreferenceConfig}'s; orpo and simpo run no reference), batch,
 * seq, steps, warmup, lr, fp16, bf16, checkpointing, lora_r, targets q_proj,v_proj or all-linear,
 * profile FILE: libtorch's profiler over the measured steps, a chrome trace for {@code
 * bench/profile-ops}; that run's tokens/s is not a measurement).
 */
public final class DeviceTrainBench {
  static final Map<String, DecoderConfig> SHAPES =
      Map.of(
          "0.5b", shape(896, 4864, 24, 14, 2),
          "1.5b", shape(1536, 8960, 28, 12, 2),
          "mini", shape(256, 1024, 4, 4, 2));

  static DecoderConfig shape(int hidden, int inter, int layers, int heads, int kv) {
    return new DecoderConfig(
        "qwen2",
        151936,
        hidden,
        inter,
        layers,
        heads,
        kv,
        32768,
        1e6,
        1e-6,
        true,
        0.02,
        null,
        List.of(151645),
        "float32");
  }

  public static void main(String[] argv) throws Exception {
    if (System.getenv("DJL_OFFLINE") == null) System.setProperty("ai.djl.offline", "true");
    Map<String, String> a = new LinkedHashMap<>();
    for (String kv :
        List.of(
            "device=cpu",
            "shape=0.5b",
            "layers=0",
            "mode=lora",
            "batch=8",
            "seq=512",
            "steps=10",
            "warmup=3",
            "lr=1e-4",
            "fp16=false",
            "bf16=false",
            "checkpointing=false",
            "lora_r=8",
            "targets=q_proj,v_proj",
            "loss_type=sigmoid",
            "profile=")) {
      a.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
    }
    for (String kv : argv) {
      int eq = kv.indexOf('=');
      if (eq < 0 || !a.containsKey(kv.substring(0, eq)))
        throw new IllegalArgumentException("not a key=value of " + a.keySet() + ": " + kv);
      a.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    long baselineDeviceMb = a.get("device").startsWith("cuda") ? nvidiaSmiUsedMb() : 0;
    Device device = Devices.resolve(a.get("device"));
    DecoderConfig c = SHAPES.get(a.get("shape"));
    if (c == null) throw new IllegalArgumentException("shape: one of " + SHAPES.keySet());
    int layers = Integer.parseInt(a.get("layers"));
    if (layers > 0) { // fewer layers: a quicker run of the same layer shape
      c =
          shape(
              c.hiddenSize(),
              c.intermediateSize(),
              layers,
              c.numAttentionHeads(),
              c.numKeyValueHeads());
    }
    int B = Integer.parseInt(a.get("batch")), T = Integer.parseInt(a.get("seq"));
    int steps = Integer.parseInt(a.get("steps")), warm = Integer.parseInt(a.get("warmup"));
    String mode = a.get("mode");
    double lr = Double.parseDouble(a.get("lr"));
    boolean dpo = mode.equals("dpo") || mode.equals("dpo-full");
    boolean kto = mode.equals("kto"); // LoRA, the adapter-off reference; 2B examples a step

    boolean fp16 = Boolean.parseBoolean(a.get("fp16"));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("stack", "liandan");
    out.put(
        "engine", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
    out.put("config", a);
    out.put("threads", JniUtils.getNumThreads());
    int n = device.isGpu() ? 8192 : 1024, reps = device.isGpu() ? 20 : 10; // GEMM n³, repeats
    out.put("gemm_fp32_tflops", TrainBench.gemmFlops(device, DataType.FLOAT32, n, reps) / 1e12);
    if (device.isGpu() || fp16) // float16 GEMMs crawl on a CPU: timed only when they are used
    out.put("gemm_fp16_tflops", TrainBench.gemmFlops(device, DataType.FLOAT16, n, reps) / 1e12);
    long rssBefore = TrainBench.status("VmRSS:");

    try (NDManager m = NDManager.newBaseManager(device)) {
      DecoderWeights w;
      if (mode.equals("qlora")) { // as ModelLoader.loadQuantized: NF4 on the host, then moved
        try (NDManager host = NDManager.newBaseManager(Device.cpu());
            DecoderWeights onHost = DecoderWeights.random(c, 1, host)) {
          onHost.quantizeLinears(true);
          w = onHost.moveTo(m);
        }
      } else {
        w = DecoderWeights.random(c, 1, m);
      }
      Decoder model = new Decoder(w);
      if (fp16) model.setComputeType(DataType.FLOAT16);
      model.setBf16Matmuls(Boolean.parseBoolean(a.get("bf16"))); // bf16: linears in bf16
      Map<String, NDArray> params = w.tensors();
      LoraAdapter lora = null;
      if (!mode.equals("full") && !mode.equals("dpo-full")) {
        LoraConfig lc =
            LoraConfig.of(
                Integer.parseInt(a.get("lora_r")),
                2 * Integer.parseInt(a.get("lora_r")),
                0.0,
                List.of(a.get("targets").split(",")));
        lora = LoraAdapter.init(lc, w, 1);
        model.setHook(lora);
        params = lora.parameters();
      }
      long trained = params.values().stream().mapToLong(p -> p.getShape().size()).sum();
      AdamW opt = new AdamW(params, AdamW.Hyper.defaults(0.0), m, AdamW::isNoDecay);
      PreferenceConfig loss =
          new PreferenceConfig(List.of(a.get("loss_type")), null, 0.1, 0, 0.5, 0);
      // full fine-tuning's DPO reference: a frozen second copy (the same seed, the same weights),
      // which a reference-free loss never loads
      DecoderWeights frozen =
          mode.equals("dpo-full") && !loss.referenceFree() ? DecoderWeights.random(c, 1, m) : null;
      LrSchedule constant = new LrSchedule("constant", 0, warm + steps);
      Optimization preference = new Optimization(opt, constant, lr, 1.0, 1);
      IntToDoubleFunction step =
          kto
              ? ktoSteps(model, lora, preference, B, T)
              : dpo
                  ? dpoSteps(model, lora, frozen, loss, preference, fp16, a, B, T)
                  : causalLmSteps(model, new Optimization(opt, constant, lr, 1.0), fp16, a, B, T);
      double first = 0, last = 0;
      long t0 = 0;
      // libtorch's profiler over the measured steps, a chrome trace (bench/profile-ops reads it)
      String profile = a.get("profile").isEmpty() ? null : a.get("profile");
      for (int s = 0; s < warm + steps; s++) {
        if (s == warm) t0 = System.nanoTime();
        if (s == warm && profile != null) JniUtils.startProfile(false, true, false);
        last = step.applyAsDouble(s); // reading the loss syncs
        if (s == 0) first = last;
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      if (profile != null) JniUtils.stopProfile(profile);
      double tps = (dpo || kto ? 2.0 : 1.0) * steps * B * T / secs;
      // model FLOPs of the trained tokens; DPO's reference forward is extra work not counted here
      double flops = tps * TrainBench.flopsPerToken(c, T, lora != null);
      out.put("trained_params", trained);
      out.put("tokens_per_s", tps);
      out.put("model_tflops", flops / 1e12);
      out.put(
          "of_gemm",
          flops / 1e12 / (double) out.get(fp16 ? "gemm_fp16_tflops" : "gemm_fp32_tflops"));
      out.put("loss_first", first);
      out.put("loss_last", last);
      if (device.isGpu()) {
        out.put("peak_device_mb", nvidiaSmiUsedMb() - baselineDeviceMb);
        out.put("cuda_used_mb", CudaUtils.getGpuMemory(device).getUsed() / 1048576.0);
      } else {
        out.put("peak_rss_mb", (TrainBench.status("VmHWM:") - rssBefore) / 1024.0);
        out.put("rss_hwm_mb", TrainBench.status("VmHWM:") / 1024.0);
      }
      w.close();
      if (frozen != null) frozen.close();
    }
    System.out.println("RESULT " + new ObjectMapper().writeValueAsString(out));
  }

  /** Causal-LM steps on {@link BenchData#batch}: a step's index to its loss. */
  static IntToDoubleFunction causalLmSteps(
      Decoder model, Optimization o, boolean fp16, Map<String, String> a, int B, int T) {
    CausalLmTrainer trainer =
        new CausalLmTrainer(model, o)
            .withLossScaling(fp16 ? new GradScaler() : null)
            .withGradientCheckpointing(Boolean.parseBoolean(a.get("checkpointing")));
    return s -> trainer.step(List.of(BenchData.batch(s, B, T))).loss();
  }

  /**
   * DPO steps on {@link BenchData#pairs}, as TrainStage runs a LoRA DPO stage: the reference is the
   * same weights with the adapter switched off.
   */
  static IntToDoubleFunction dpoSteps(
      Decoder model,
      LoraAdapter lora,
      DecoderWeights frozen,
      PreferenceConfig loss,
      Optimization o,
      boolean fp16,
      Map<String, String> a,
      int B,
      int T) {
    Decoder frozenModel = frozen == null ? null : new Decoder(frozen);
    DpoTrainer.Reference ref =
        loss.referenceFree()
            ? null
            : frozenModel != null
                ? DpoTrainer.Reference.of(frozenModel)
                : DpoTrainer.Reference.adapterOff(model, lora); // as the stages build it
    DpoTrainer trainer =
        new DpoTrainer(model, ref, o, 0.1)
            .withLoss(loss)
            .withLossScaling(fp16 ? new GradScaler() : null)
            .withGradientCheckpointing(Boolean.parseBoolean(a.get("checkpointing")));
    return s -> trainer.step(List.of(BenchData.pairs(s, B, T))).loss();
  }

  /** KTO steps on {@link BenchData#kto}: DPO's pairs unpaired, β 0.1, weights 1. */
  static IntToDoubleFunction ktoSteps(
      Decoder model, LoraAdapter lora, Optimization o, int B, int T) {
    DpoTrainer.Reference ref = DpoTrainer.Reference.adapterOff(model, lora);
    KtoTrainer trainer = new KtoTrainer(model, ref, o, new KtoLoss.Weights(0.1, 1.0, 1.0));
    return s -> trainer.step(List.of(BenchData.kto(s, B, T))).get("train/loss");
  }

  /** The GPU's used memory in MiB as nvidia-smi reports it (first GPU listed). */
  static long nvidiaSmiUsedMb() throws Exception {
    Process p =
        new ProcessBuilder("nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits")
            .redirectErrorStream(true)
            .start();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line = r.readLine();
      p.waitFor();
      return Long.parseLong(line.trim());
    }
  }
}
