package io.liandan.bench;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.liandan.llm.generate.Generator;
import io.liandan.llm.generate.SamplingConfig;
import io.liandan.llm.model.Decoder;
import io.liandan.llm.model.DecoderWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Liandan's side of the load and decode workloads of {@code bench/side-by-side} (issue 21), the
 * twin of {@code bench/hf/load_decode_bench.py run}: a checkpoint directory loaded as float32 (the
 * path every stage takes) or with dtype=bfloat16 its matrices in bf16 ({@code --dtype bfloat16}),
 * one greedy token for the prompt in prompt.json, an untimed generation of warmup_tokens (the JVM
 * compiles the decode path as it runs), then a timed generation of new_tokens and of 1 token;
 * decode tokens/s = (new_tokens - 1) / (t_new - t_1). Run: {@code java -cp …
 * io.liandan.bench.LoadDecodeBench DIR t0_ns=<epoch ns before the JVM started> new_tokens=64
 * warmup_tokens=16}. Prints {@code RESULT {json}} with the keys the Python side prints.
 */
public final class LoadDecodeBench {
  public static void main(String[] args) throws Exception {
    if (System.getenv("DJL_OFFLINE") == null) System.setProperty("ai.djl.offline", "true");
    Path dir = Path.of(args[0]);
    Map<String, String> a = new LinkedHashMap<>();
    for (int i = 1; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      a.put(kv[0], kv[1]);
    }
    double t0 = Long.parseLong(a.get("t0_ns")) / 1e9;
    int n = Integer.parseInt(a.getOrDefault("new_tokens", "64"));
    int warmup = Integer.parseInt(a.getOrDefault("warmup_tokens", "16"));
    ObjectMapper json = new ObjectMapper();
    long[] prompt = json.readValue(Files.readString(dir.resolve("prompt.json")), long[].class);
    try (NDManager m = NDManager.newBaseManager()) {
      double rssBefore = TrainBench.status("VmRSS:") / 1024.0;
      long start = System.nanoTime();
      String dtype = a.getOrDefault("dtype", "float32"); // bfloat16: frozen matrices in bf16
      DecoderWeights w =
          DecoderWeights.load(dir, m, DecoderWeights.LoadProgress.NONE, dtype.equals("bfloat16"));
      double loadS = (System.nanoTime() - start) / 1e9;
      double loadHwm = TrainBench.status("VmHWM:") / 1024.0;
      Generator g = new Generator(new Decoder(w));
      long first = g.generate(List.of(prompt), greedy(1)).get(0)[prompt.length];
      double firstTokenS = System.currentTimeMillis() / 1e3 - t0;
      g.generate(List.of(prompt), greedy(warmup)); // decode is measured warm, as on the HF side
      start = System.nanoTime();
      long[] out = g.generate(List.of(prompt), greedy(n)).get(0);
      double tN = (System.nanoTime() - start) / 1e9;
      start = System.nanoTime();
      g.generate(List.of(prompt), greedy(1));
      double t1 = (System.nanoTime() - start) / 1e9;
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("first_token_s", firstTokenS);
      r.put("load_s", loadS);
      r.put("first_token", first);
      r.put("tokens", java.util.Arrays.copyOfRange(out, prompt.length, out.length));
      r.put("decode_tokens_per_s", (n - 1) / (tN - t1));
      r.put("rss_hwm_mb", TrainBench.status("VmHWM:") / 1024.0);
      r.put("rss_before_load_mb", rssBefore);
      r.put("load_rss_hwm_mb", loadHwm);
      r.put("threads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
      r.put("dtype", dtype);
      System.out.println("RESULT " + json.writeValueAsString(r));
      w.close();
    }
  }

  /** Greedy, no EOS: exactly {@code n} new tokens, as min_new_tokens makes transformers do. */
  private static SamplingConfig greedy(int n) {
    return new SamplingConfig(n, false, 1.0, 0, 1.0, 0, Set.of(), 0);
  }
}
