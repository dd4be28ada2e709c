"""transformers' side of the load and decode workloads of bench/side-by-side (issue 21).

  load_decode_bench.py make DIR [shape=0.5b|mini] [layers=0 (all)] [dtype=bf16] [seed=0]
      a random Qwen2ForCausalLM of the shape saved by save_pretrained as one safetensors file
      (0.5b: Qwen2.5-0.5B's config, tied embeddings, 494 M parameters, 988 MB in bf16), plus the
      prompt both sides feed (prompt.json: 32 token ids). Written to DIR.tmp, renamed when complete.
  load_decode_bench.py run DIR t0_ns=<epoch ns before the process started> new_tokens=64
                          warmup_tokens=16 threads=N
      from_pretrained in float32 (what Liandan holds), one greedy token, an untimed generate of
      warmup_tokens, then a timed generate of new_tokens and of 1 token: decode tokens/s =
      (new_tokens - 1) / (t_new - t_1).

Prints one line `RESULT {json}`: first_token_s (t0 -> the first token's id in hand), load_s (the
from_pretrained call alone), decode_tokens_per_s, rss_hwm_mb (VmHWM at the end),
rss_before_load_mb (VmRSS just before loading, the runtime's own), load_rss_hwm_mb (VmHWM
right after loading), threads.
"""

import json
import os
import sys
import time

SHAPES = {  # hidden, intermediate, layers, heads, kv heads, vocab
    "0.5b": (896, 4864, 24, 14, 2, 151936),
    "mini": (256, 768, 4, 4, 2, 151936),
    "overhead": (64, 128, 24, 4, 2, 1024),  # the 0.5b's 24 layers, negligible weights: per-op cost
}


def keys(argv):
    out = {}
    for a in argv:
        k, _, v = a.partition("=")
        out[k] = v
    return out


def make(directory, a):
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    C, I, L, H, KV, V = SHAPES[a.get("shape", "0.5b")]
    L = int(a.get("layers") or 0) or L  # 0: all of the shape's layers
    torch.manual_seed(int(a.get("seed", "0")))
    cfg = Qwen2Config(hidden_size=C, intermediate_size=I, num_hidden_layers=L,
                      num_attention_heads=H, num_key_value_heads=KV, vocab_size=V,
                      max_position_embeddings=32768, rope_theta=1000000.0, rms_norm_eps=1e-6,
                      tie_word_embeddings=True, bos_token_id=151643, eos_token_id=151645,
                      use_sliding_window=False, torch_dtype="bfloat16")
    model = Qwen2ForCausalLM(cfg).to({"bf16": torch.bfloat16, "f32": torch.float32}[a.get("dtype", "bf16")])
    tmp = directory + ".tmp"
    model.save_pretrained(tmp, safe_serialization=True, max_shard_size="100GB")
    g = torch.Generator().manual_seed(1)
    prompt = torch.randint(0, min(V, 150000), (32,), generator=g).tolist()
    with open(os.path.join(tmp, "prompt.json"), "w") as f:
        json.dump(prompt, f)
    os.rename(tmp, directory)


def rss_mb(field="VmHWM:"):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def run(directory, a):
    t0 = int(a["t0_ns"]) / 1e9
    threads = int(a.get("threads", os.cpu_count()))
    n = int(a.get("new_tokens", "64"))
    warmup = int(a.get("warmup_tokens", "16"))
    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(threads)
    with open(os.path.join(directory, "prompt.json")) as f:
        ids = torch.tensor([json.load(f)])
    rss_before = rss_mb("VmRSS:")
    start = time.time()
    dtype = a.get("dtype", "float32")  # bfloat16: transformers' whole model in bf16
    model = AutoModelForCausalLM.from_pretrained(directory, torch_dtype=getattr(torch, dtype))
    model.eval()
    load_s = time.time() - start
    load_hwm = rss_mb()

    def generate(k):
        with torch.no_grad():
            return model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=k,
                                  min_new_tokens=k, do_sample=False, pad_token_id=0)

    first = generate(1)[0, -1].item()
    first_token_s = time.time() - t0
    generate(warmup)  # decode is measured warm, on both sides (the JVM compiles as it runs)
    t = time.time()
    out = generate(n)
    t_n = time.time() - t
    t = time.time()
    generate(1)
    t_1 = time.time() - t
    print("RESULT " + json.dumps(dict(
        first_token_s=first_token_s, load_s=load_s, first_token=first,
        tokens=out[0, ids.shape[1]:].tolist(), decode_tokens_per_s=(n - 1) / (t_n - t_1),
        rss_hwm_mb=rss_mb(), rss_before_load_mb=rss_before, transformers=transformers.__version__,
        load_rss_hwm_mb=load_hwm, threads=threads, torch=torch.__version__, dtype=dtype)), flush=True)


if __name__ == "__main__":
    what, directory, a = sys.argv[1], sys.argv[2], keys(sys.argv[3:])
    {"make": make, "run": run}[what](directory, a)
