"""Runs the issue-8 matrix with both stacks, one process per configuration, and prints a table.

    JAVA=/path/to/java LIANDAN_CP=<classpath with DeviceTrainBench> python3 bench/hf/compare.py

Each row: the same workload (Qwen2.5-0.5B shape, random init, batch 8 x 512, LoRA r 8 on q/v or
full fine-tuning) through DeviceTrainBench and through train_bench.py (transformers + PEFT), with
tokens/s, the ratio, and peak device memory as both measure it (nvidia-smi, before vs after).
Extra key=value arguments are passed to both (e.g. steps=5 shape=mini device=cpu).
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MATRIX = [  # (name, liandan keys, transformers keys)
    ("LoRA fp32", "mode=lora", "mode=lora precision=fp32"),
    ("LoRA fp16", "mode=lora fp16=true", "mode=lora precision=fp16"),
    ("LoRA fp16, checkpointing", "mode=lora fp16=true checkpointing=true",
     "mode=lora precision=fp16 checkpointing=true"),
    ("Q-LoRA fp16, checkpointing", "mode=qlora fp16=true checkpointing=true",
     "mode=qlora precision=fp16 checkpointing=true"),
    ("full fp32", "mode=full", "mode=full precision=fp32"),
    ("full fp16", "mode=full fp16=true", "mode=full precision=fp16"),
]


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    tail = (p.stdout + p.stderr).strip().splitlines()[-3:]
    return {"error": " | ".join(tail)}


def main():
    java, cp = os.environ.get("JAVA", "java"), os.environ["LIANDAN_CP"]
    extra = sys.argv[1:]
    print("| workload | Liandan tokens/s | transformers tokens/s | ratio | Liandan peak MiB "
          "| transformers peak MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, ours, theirs in MATRIX:
        a = run([java, "-cp", cp, "io.liandan.bench.DeviceTrainBench", *ours.split(), *extra])
        b = run([sys.executable, os.path.join(HERE, "train_bench.py"), *theirs.split(), *extra])
        for r in (a, b):
            print("RESULT " + json.dumps(r), file=sys.stderr)
        ta, tb = a.get("tokens_per_s"), b.get("tokens_per_s")
        ratio = f"{ta / tb:.2f}x" if ta and tb else "-"
        cell = lambda r, k: f"{r[k]:,.0f}" if k in r else r.get("error", "-")[:80]
        print(f"| {name} | {cell(a, 'tokens_per_s')} | {cell(b, 'tokens_per_s')} | {ratio} "
              f"| {cell(a, 'peak_device_mb')} | {cell(b, 'peak_device_mb')} |", flush=True)


if __name__ == "__main__":
    main()
