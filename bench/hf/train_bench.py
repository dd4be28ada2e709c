"""The transformers + PEFT (+ TRL) side of DeviceTrainBench: the same workload, the same JSON line.

A Qwen2.5-0.5B-shaped Qwen2ForCausalLM at random init (float32 master weights), causal-LM steps on
the same token ids (BenchData's formula, repeated in batch() and pairs()), AdamW (lr 1e-4, no decay),
gradient clipping at 1.0; LoRA through PEFT on the same targets. mode=dpo runs TRL's DPOTrainer
itself (LoRA policy, the adapter switched off as reference, sigmoid loss, beta 0.1) on the same
pairs, already tokenized, timed from the end of the last warm-up step to the end of the last step;
tokens as DeviceTrainBench counts them (B x T a step, DPO 2 x B x T). On the CPU, rss_hwm_mb is the
process's peak resident memory (VmHWM), as DeviceTrainBench reports its own. Mixed precision as transformers' Trainer does it: autocast (fp16 with a
GradScaler, or bf16), the weights stay float32. Peak memory as DeviceTrainBench measures it on CUDA:
the GPU's used memory after the steps less what was used before torch touched the GPU (nvidia-smi),
plus torch's own max_memory_allocated / max_memory_reserved.

    python3 bench/hf/train_bench.py device=cuda mode=lora batch=8 seq=512 steps=10 precision=bf16

Keys (defaults): device cuda, shape 0.5b|1.5b|mini, layers 0 (= the shape's), mode
lora|qlora|full|dpo, batch 8, seq 512, steps 10, warmup 3, lr 1e-4, precision fp32|tf32|fp16|bf16,
checkpointing false, lora_r 8, targets q_proj,v_proj (or all-linear), attn sdpa|eager, threads 0
(= torch's default). qlora needs bitsandbytes.
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
    a = {"device": "cuda", "shape": "0.5b", "layers": "0", "mode": "lora", "batch": "8",
         "seq": "512", "steps": "10", "warmup": "3", "lr": "1e-4", "precision": "fp32",
         "checkpointing": "false", "lora_r": "8", "targets": "q_proj,v_proj", "attn": "sdpa",
         "threads": "0", "profile": ""}
    for kv in argv:
        k, eq, v = kv.partition("=")
        if not eq or k not in a:
            sys.exit(f"not a key=value of {list(a)}: {kv}")
        a[k] = v
    return a


def offset(step, B, b):
    """BenchData.offset: where row b of a step's batch starts in its pattern."""
    return (step * B + b) * 131 % 1000


def chosen_token(i):
    return 1000 + i % 17 * 7


def rows(step, B, T):
    """BenchData.batch's ids: period-17 rows."""
    return [[chosen_token(offset(step, B, b) + t) for t in range(T)] for b in range(B)]


def batch(step, B, T, device):
    """rows() as tensors (labels = ids)."""
    import torch
    ids = torch.tensor(rows(step, B, T), dtype=torch.long, device=device)
    return ids, ids.clone()


def pairs(step, B, T):
    """BenchData.pairs: a T/2 prompt, the pattern continued (chosen) or a period-13 one (rejected)."""
    p, out = T // 2, []
    for b in range(B):
        o = offset(step, B, b)
        out.append({"prompt_ids": [chosen_token(o + t) for t in range(p)],
                    "chosen_ids": [chosen_token(o + p + t) for t in range(T - p)],
                    "rejected_ids": [2000 + (o + t) % 13 * 11 for t in range(T - p)]})
    return out


def lora_targets(a):
    """PEFT's target_modules: "all-linear" (every linear but lm_head, as Liandan's) or a list."""
    return a["targets"] if a["targets"] == "all-linear" else a["targets"].split(",")


def rss_hwm_mb():
    """The process's peak resident memory, /proc/self/status VmHWM, in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def gemm_tflops(device, dtype, n, reps):
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
    import torch
    import transformers
    from transformers import Qwen2Config, Qwen2ForCausalLM

    if int(a["threads"]) > 0:
        torch.set_num_threads(int(a["threads"]))
    device = torch.device(a["device"])
    precision = a["precision"]
    if precision == "tf32":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    hidden, inter, layers, heads, kv = SHAPES[a["shape"]]
    layers = int(a["layers"]) or layers  # fewer layers: a quicker run of the same layer shape
    B, T = int(a["batch"]), int(a["seq"])
    steps, warm = int(a["steps"]), int(a["warmup"])
    mode = a["mode"]
    out = {"stack": "transformers", "engine": f"torch {torch.__version__}, transformers "
           f"{transformers.__version__}", "config": a, "threads": torch.get_num_threads()}
    n, reps = (8192, 20) if cuda else (1024, 10)  # DeviceTrainBench's sizes
    out["gemm_fp32_tflops"] = gemm_tflops(device, torch.float32, n, reps)
    if cuda or precision in ("fp16", "bf16"):  # float16 GEMMs crawl on a CPU
        out["gemm_fp16_tflops"] = gemm_tflops(device, torch.float16, n, reps)
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
    if mode == "dpo":
        tps, first, last = dpo_steps(model, a, device, B, T, warm, steps, out)
    else:
        tps, first, last = causal_lm_steps(model, a, device, B, T, warm, steps, out, checkpointing)
    flops = tps * flops_per_token(hidden, inter, layers, heads, kv, T, mode != "full")
    out["tokens_per_s"] = tps
    out["model_tflops"] = flops / 1e12
    gemm = out["gemm_fp32_tflops"] if precision in ("fp32", "tf32") else out["gemm_fp16_tflops"]
    out["of_gemm"] = flops / 1e12 / gemm
    out["loss_first"], out["loss_last"] = first, last
    if cuda:
        out["peak_device_mb"] = nvidia_smi_used_mb() - baseline
        out["max_allocated_mb"] = torch.cuda.max_memory_allocated(device) / 2 ** 20
        out["max_reserved_mb"] = torch.cuda.max_memory_reserved(device) / 2 ** 20
    else:
        out["rss_hwm_mb"] = rss_hwm_mb()
    print("RESULT " + json.dumps(out))


def causal_lm_steps(model, a, device, B, T, warm, steps, out, checkpointing):
    """A plain loop of causal-LM steps (full or PEFT LoRA); returns tokens/s, first and last loss."""
    import torch
    mode, precision, cuda = a["mode"], a["precision"], device.type == "cuda"
    if mode in ("lora", "qlora"):
        from peft import LoraConfig, get_peft_model
        if checkpointing:
            model.enable_input_require_grads()
        r = int(a["lora_r"])
        model = get_peft_model(model, LoraConfig(
            r=r, lora_alpha=2 * r, lora_dropout=0.0, target_modules=lora_targets(a)))
    out["attn_implementation"] = getattr(model.config, "_attn_implementation", None)  # what ran
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    out["trained_params"] = sum(p.numel() for p in params)
    opt = torch.optim.AdamW(params, lr=float(a["lr"]), weight_decay=0.0)
    amp = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision)
    scaler = torch.amp.GradScaler("cuda") if precision == "fp16" else None

    first = last = 0.0
    t0 = 0.0
    # torch's profiler over the measured steps, a chrome trace of the same kind as DeviceTrainBench's
    # profile= (libtorch's legacy profiler); bench/profile-ops compares the two
    prof = torch.autograd.profiler.profile(record_shapes=True) if a["profile"] else None
    for s in range(warm + steps):
        if s == warm:
            if cuda:
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            if prof:
                prof.__enter__()
        ids, labels = batch(s, B, T, device)
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
    tps = steps * B * T / (time.perf_counter() - t0)
    if prof:
        prof.__exit__(None, None, None)
        prof.export_chrome_trace(a["profile"])
    return tps, first, last


def dpo_steps(model, a, device, B, T, warm, steps, out):
    """TRL's DPOTrainer on pairs() (PEFT LoRA policy, adapter-off reference), fp32 only."""
    import tempfile
    from datasets import Dataset
    from peft import LoraConfig
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast, TrainerCallback
    from trl import DPOConfig, DPOTrainer

    if a["precision"] != "fp32" or a["checkpointing"] == "true":
        sys.exit("mode=dpo: fp32 without checkpointing only")

    class PreTokenized(DPOTrainer):
        """The pairs come as ids already (the ids Liandan trains on): no text to tokenize."""

        def _prepare_dataset(self, dataset, *args, **kwargs):
            return dataset

    class Timer(TrainerCallback):
        """Wall time from the end of the last warm-up step to the end of the last step."""

        def __init__(self):
            self.t0 = self.t1 = None
            self.losses = []

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == warm:
                self.t0 = time.perf_counter()
            if state.global_step == warm + steps:
                self.t1 = time.perf_counter()

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                self.losses.append(logs["loss"])

    rows = [p for s in range(warm + steps) for p in pairs(s, B, T)]
    data = Dataset.from_list(rows)
    # DPOTrainer wants a tokenizer for its pad id only: a two-word one stands in (nothing is padded)
    vocab = {"<pad>": 0, "<eos>": 1}
    tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(WordLevel(vocab, unk_token="<pad>")),
                                  pad_token="<pad>", eos_token="<eos>")
    r = int(a["lora_r"])
    timer = Timer()
    args = DPOConfig(
        output_dir=tempfile.mkdtemp(), per_device_train_batch_size=B, max_steps=warm + steps,
        learning_rate=float(a["lr"]), lr_scheduler_type="constant", warmup_steps=0,
        weight_decay=0.0, max_grad_norm=1.0, optim="adamw_torch", beta=0.1, loss_type=["sigmoid"],
        max_length=None, train_sampling_strategy="sequential", logging_steps=1,
        save_strategy="no", report_to=[], use_cpu=device.type == "cpu",
        dataloader_num_workers=0, seed=1, disable_tqdm=True)
    trainer = PreTokenized(
        model=model, args=args, train_dataset=data, processing_class=tok, callbacks=[timer],
        peft_config=LoraConfig(r=r, lora_alpha=2 * r, lora_dropout=0.0, target_modules=lora_targets(a)))
    out["trained_params"] = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    out["attn_implementation"] = getattr(trainer.model.config, "_attn_implementation", None)
    trainer.train()
    losses = timer.losses or [float("nan")]
    return 2 * steps * B * T / (timer.t1 - timer.t0), losses[0], losses[-1]


if __name__ == "__main__":
    main()
