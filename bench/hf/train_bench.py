"""The transformers + PEFT side of DeviceTrainBench: the same workload, the same JSON line.

A Qwen2.5-0.5B-shaped Qwen2ForCausalLM at random init (float32 master weights), causal-LM steps on
the same repeating token pattern, AdamW (lr 1e-4, no decay), gradient clipping at 1.0; LoRA through
PEFT on the same targets. Mixed precision as transformers' Trainer does it: autocast (fp16 with a
GradScaler, or bf16), the weights stay float32. Peak memory as DeviceTrainBench measures it on CUDA:
the GPU's used memory after the steps less what was used before torch touched the GPU (nvidia-smi),
plus torch's own max_memory_allocated / max_memory_reserved.

    python3 bench/hf/train_bench.py device=cuda mode=lora batch=8 seq=512 steps=10 precision=bf16

Keys (defaults): device cuda, shape 0.5b|1.5b|mini, mode lora|qlora|full, batch 8, seq 512,
steps 10, warmup 3, precision fp32|tf32|fp16|bf16, checkpointing false, lora_r 8,
targets q_proj,v_proj, attn sdpa|eager. qlora needs bitsandbytes.
"""

import json
import subprocess
import sys
import time

SHAPES = {  # hidden, intermediate, layers, heads, kv heads
    "0.5b": (896, 4864, 24, 14, 2),
    "1.5b": (1536, 8960, 28, 12, 2),
    "mini": (256, 1024, 4, 4, 2),
}


def nvidia_smi_used_mb():
    out = subprocess.run(
        ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
        capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def parse(argv):
    a = {"device": "cuda", "shape": "0.5b", "mode": "lora", "batch": "8", "seq": "512",
         "steps": "10", "warmup": "3", "precision": "fp32", "checkpointing": "false",
         "lora_r": "8", "targets": "q_proj,v_proj", "attn": "sdpa"}
    for kv in argv:
        k, eq, v = kv.partition("=")
        if not eq or k not in a:
            sys.exit(f"not a key=value of {list(a)}: {kv}")
        a[k] = v
    return a


def batch(rng, B, T, device):
    """TrainBench.batch's pattern: period-17 sequences at random offsets (labels = ids)."""
    import torch
    rows = []
    for _ in range(B):
        offset = rng.randrange(1000)
        rows.append([1000 + (offset + t) % 17 * 7 for t in range(T)])
    ids = torch.tensor(rows, dtype=torch.long, device=device)
    return ids, ids.clone()


def gemm_tflops(device, dtype, n=8192, reps=20):
    import torch
    x = torch.randn(n, n, device=device).to(dtype)
    y = torch.randn(n, n, device=device).to(dtype)
    for _ in range(3):
        (x @ y)[0, 0].item()
    t0 = time.perf_counter()
    for _ in range(reps):
        (x @ y)[0, 0].item()
    return 2.0 * n ** 3 * reps / (time.perf_counter() - t0) / 1e12


def flops_per_token(hidden, inter, layers, heads, kv, T, lora, vocab=151936):
    """TrainBench.flopsPerToken: 6 per matmul weight (4 when frozen), plus attention."""
    hd = hidden // heads
    per_layer = hidden * hidden * 2 + 2 * hidden * kv * hd + 3 * hidden * inter
    weights = per_layer * layers + vocab * hidden
    attention = 3.0 * 2 * 2 * T * hidden * layers
    return (4.0 if lora else 6.0) * weights + attention


def main():
    a = parse(sys.argv[1:])
    cuda = a["device"].startswith("cuda")
    baseline = nvidia_smi_used_mb() if cuda else 0
    import random
    import torch
    import transformers
    from transformers import Qwen2Config, Qwen2ForCausalLM

    device = torch.device(a["device"])
    precision = a["precision"]
    if precision == "tf32":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    hidden, inter, layers, heads, kv = SHAPES[a["shape"]]
    B, T = int(a["batch"]), int(a["seq"])
    steps, warm = int(a["steps"]), int(a["warmup"])
    mode = a["mode"]
    out = {"stack": "transformers", "engine": f"torch {torch.__version__}, transformers "
           f"{transformers.__version__}", "config": a}
    out["gemm_fp32_tflops"] = gemm_tflops(device, torch.float32)
    out["gemm_fp16_tflops"] = gemm_tflops(device, torch.float16)
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)

    torch.manual_seed(1)
    config = Qwen2Config(vocab_size=151936, hidden_size=hidden, intermediate_size=inter,
                         num_hidden_layers=layers, num_attention_heads=heads,
                         num_key_value_heads=kv, max_position_embeddings=32768,
                         rms_norm_eps=1e-6, tie_word_embeddings=True,
                         initializer_range=0.02, attn_implementation=a["attn"])
    model = Qwen2ForCausalLM(config)  # rope theta left at its default: it does not change speed
    if mode == "qlora":  # bitsandbytes NF4 + double quantization, as LLaMA-Factory's Q-LoRA
        import bitsandbytes  # noqa: F401  (fails loudly when absent)
        from transformers import BitsAndBytesConfig
        import tempfile
        tmp = tempfile.mkdtemp()
        model.save_pretrained(tmp)
        model = Qwen2ForCausalLM.from_pretrained(
            tmp, attn_implementation=a["attn"],
            quantization_config=BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                bnb_4bit_compute_dtype=torch.float16 if precision == "fp16" else
                torch.bfloat16 if precision == "bf16" else torch.float32),
            device_map={"": device})
    else:
        model.to(device)
    checkpointing = a["checkpointing"] == "true"
    if checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if mode in ("lora", "qlora"):
        from peft import LoraConfig, get_peft_model
        if checkpointing:
            model.enable_input_require_grads()
        r = int(a["lora_r"])
        model = get_peft_model(model, LoraConfig(
            r=r, lora_alpha=2 * r, lora_dropout=0.0, target_modules=a["targets"].split(",")))
    out["attn_implementation"] = getattr(config, "_attn_implementation", None)  # what ran
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    out["trained_params"] = sum(p.numel() for p in params)
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    amp = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision)
    scaler = torch.amp.GradScaler("cuda") if precision == "fp16" else None

    rng = random.Random(0)
    first = last = 0.0
    t0 = 0.0
    for s in range(warm + steps):
        if s == warm:
            if cuda:
                torch.cuda.synchronize()
            t0 = time.perf_counter()
        ids, labels = batch(rng, B, T, device)
        with torch.autocast(device.type, dtype=amp, enabled=amp is not None):
            loss = model(input_ids=ids, labels=labels).loss
        if scaler:
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
        opt.zero_grad(set_to_none=True)
        last = loss.item()  # syncs, as DeviceTrainBench's getFloat does
        if s == 0:
            first = last
    secs = time.perf_counter() - t0
    tps = steps * B * T / secs
    flops = tps * flops_per_token(hidden, inter, layers, heads, kv, T, mode != "full")
    out["tokens_per_s"] = tps
    out["model_tflops"] = flops / 1e12
    gemm = out["gemm_fp32_tflops"] if amp is None else out["gemm_fp16_tflops"]
    out["of_gemm"] = flops / 1e12 / gemm
    out["loss_first"], out["loss_last"] = first, last
    if cuda:
        out["peak_device_mb"] = nvidia_smi_used_mb() - baseline
        out["max_allocated_mb"] = torch.cuda.max_memory_allocated(device) / 2 ** 20
        out["max_reserved_mb"] = torch.cuda.max_memory_reserved(device) / 2 ** 20
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
