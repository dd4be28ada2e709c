"""torch.optim.AdamW and transformers' logits warpers as a live oracle for Liandan's optimizer and
sampler (tests only; the model-level oracle is oracle.py). Each subcommand draws its inputs from
--seed and writes one JSON file to --out: what went in, and what the reference computed.

  numerics_oracle.py adamw --seed S --out FILE
      random parameters (a decayed weight, a bias torch's Trainer leaves undecayed) and six steps of
      random gradients with a changing lr, stepped by torch.optim.AdamW with non-default betas; the
      parameters after every step, plus the same run without weight decay, with default betas and
      without bias correction, so the test can show its tolerance sees each of them.
  numerics_oracle.py sampling --seed S --out FILE
      random logit rows and settings, each processed by TemperatureLogitsWarper, TopKLogitsWarper and
      TopPLogitsWarper in generate()'s order; the resulting probabilities (0 where filtered out).

  numerics_oracle.py nf4 --seed S --out FILE
      random N(0, 0.02) weights (300 blocks of 64, one all-zero, the last one short) quantized by
      bitsandbytes' quantize_4bit (nf4, blocksize 64) without and with compress_statistics (double
      quantization), and dequantize_4bit's result: the packed bytes, absmax and nested state.

  numerics_oracle.py logits --seed S --out FILE --model DIR --ids '[[1, 2, 3]]'
      transformers' logits of a checkpoint Liandan wrote, on the given batch of ids.

Everything is float32 on the CPU, as Liandan computes it.
"""
import argparse, json, math, random

import torch

torch.set_num_threads(1)  # two shared cores: one each for this and the JVM

STEPS = 6
HYPER = dict(betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)
LRS = [0.05, 0.04, 0.06, 0.03, 0.05, 0.02]  # a schedule: lr changes between steps


def floats(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]  # float32 values, exact in JSON


def adamw(args):
    g = torch.Generator().manual_seed(args.seed)

    def away_from_zero(*shape):  # magnitudes 0.5-1.5: a relative tolerance means the same everywhere
        sign = torch.randint(0, 2, shape, generator=g) * 2 - 1
        return sign * (0.5 + torch.rand(shape, generator=g))

    def gradient(*shape):  # magnitudes 1e-3..1, far from eps, signs that flip between steps
        sign = torch.randint(0, 2, shape, generator=g) * 2 - 1
        return (sign * 10 ** (-3 * torch.rand(shape, generator=g))).float()

    init = {"x.weight": away_from_zero(6, 5).float(), "x.bias": away_from_zero(5).float()}
    grads = [{k: gradient(*v.shape) for k, v in init.items()} for _ in range(STEPS)]

    def run(betas, weight_decay):
        p = {k: v.clone().requires_grad_(True) for k, v in init.items()}
        opt = torch.optim.AdamW(
            [dict(params=[p["x.weight"]], weight_decay=weight_decay),
             dict(params=[p["x.bias"]], weight_decay=0.0)],  # Trainer: no decay on biases
            lr=LRS[0], betas=betas, eps=HYPER["eps"])
        after = []
        for lr, gs in zip(LRS, grads):
            for group in opt.param_groups:
                group["lr"] = lr
            for k, t in p.items():
                t.grad = gs[k].clone()
            opt.step()
            after.append({k: floats(t) for k, t in p.items()})
        return after

    def without_bias_correction():  # torch has no switch for it: the same update, by hand, in float64
        p = {k: v.double() for k, v in init.items()}
        m = {k: torch.zeros_like(v) for k, v in p.items()}
        v = {k: torch.zeros_like(t) for k, t in p.items()}
        b1, b2 = HYPER["betas"]
        after = []
        for lr, gs in zip(LRS, grads):
            for k in p:
                if k == "x.weight":
                    p[k] = p[k] * (1 - lr * HYPER["weight_decay"])
                m[k] = b1 * m[k] + (1 - b1) * gs[k].double()
                v[k] = b2 * v[k] + (1 - b2) * gs[k].double() ** 2
                p[k] = p[k] - lr * m[k] / (v[k].sqrt() + HYPER["eps"])
            after.append({k: floats(t) for k, t in p.items()})
        return after

    out = dict(
        torch=torch.__version__, seed=args.seed, hyper=HYPER, lrs=LRS,
        shapes={k: list(v.shape) for k, v in init.items()},
        init={k: floats(v) for k, v in init.items()},
        grads=[{k: floats(t) for k, t in gs.items()} for gs in grads],
        after=run(HYPER["betas"], HYPER["weight_decay"]),
        variants=dict(
            no_weight_decay=run(HYPER["betas"], 0.0)[-1],
            default_betas=run((0.9, 0.999), HYPER["weight_decay"])[-1],
            no_bias_correction=without_bias_correction()[-1]))
    with open(args.out, "w") as f:
        json.dump(out, f)


def sampling(args):
    from transformers import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper
    from transformers import LogitsProcessorList
    import transformers

    rng = random.Random(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    # (temperature, top_k, top_p): each warper alone, together, and the "off" values
    settings = [(1.0, 0, 1.0), (0.7, 0, 1.0), (1.8, 0, 1.0), (1.0, 5, 1.0), (1.0, 0, 0.9),
                (0.6, 0, 0.5), (1.3, 20, 0.8), (0.8, 3, 0.95), (2.5, 40, 0.3)]
    rows = []
    for temperature, top_k, top_p in settings:
        while True:
            vocab = rng.randrange(20, 200)
            scale = rng.choice([0.5, 2.0, 5.0])
            logits = (torch.randn(vocab, generator=g) * scale).float()
            procs = LogitsProcessorList()
            if temperature != 1.0:
                procs.append(TemperatureLogitsWarper(temperature))
            if top_k > 0:
                procs.append(TopKLogitsWarper(top_k))
            if top_p < 1.0:
                procs.append(TopPLogitsWarper(top_p))
            scores = procs(torch.zeros(1, 1, dtype=torch.long), logits.clone()[None])[0]
            probs = torch.softmax(scores, dim=-1)
            # top-p's cut at a cumulative mass of exactly p: a draw whose sorted cumulative sum
            # passes within 1e-5 of 1 - p is redrawn, so that float32 and float64 agree on the cut
            if top_p < 1.0:
                ids = torch.zeros(1, 1, dtype=torch.long)
                before = LogitsProcessorList(procs[:-1])(ids, logits.clone()[None])[0]
                cum = torch.sort(torch.softmax(before, dim=-1)).values.cumsum(0)
                if (cum - (1 - top_p)).abs().min() < 1e-5:
                    continue
            break
        rows.append(dict(temperature=temperature, top_k=top_k, top_p=top_p,
                         logits=floats(logits), probs=floats(probs)))
    with open(args.out, "w") as f:
        json.dump(dict(torch=torch.__version__, transformers=transformers.__version__,
                       seed=args.seed, rows=rows), f)


def nf4(args):
    import bitsandbytes
    import bitsandbytes.functional as F

    g = torch.Generator().manual_seed(args.seed)
    w = (torch.randn(300 * 64 - 24, generator=g) * 0.02).float()  # 24 short: a padded last block
    w[64:128] = 0  # an all-zero block: absmax 0
    w[200] = 0.1  # one outlier block
    out = dict(bitsandbytes=bitsandbytes.__version__, torch=torch.__version__, seed=args.seed,
               weights=floats(w))
    for nested in (False, True):
        q, st = F.quantize_4bit(w.clone()[None], blocksize=64, quant_type="nf4",
                                compress_statistics=nested)
        case = dict(packed=[int(b) for b in q.reshape(-1).tolist()],
                    dequantized=floats(F.dequantize_4bit(q, st)), blocksize=st.blocksize,
                    code=floats(st.code))
        if nested:
            case.update(q_absmax=[int(b) for b in st.absmax.reshape(-1).tolist()],
                        offset=float(st.offset), scale2=floats(st.state2.absmax),
                        blocksize2=st.state2.blocksize, dynamic_code=floats(st.state2.code))
        else:
            case.update(absmax=floats(st.absmax))
        out["double_quant" if nested else "plain"] = case
    with open(args.out, "w") as f:
        json.dump(out, f)


def logits(args):
    """transformers' float32 logits of --model (a checkpoint folder) on --ids (a JSON batch)."""
    from transformers import AutoModelForCausalLM
    ids = torch.tensor(json.loads(args.ids), dtype=torch.int64)
    m = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32,
                                             attn_implementation="eager").eval()
    with torch.no_grad():
        out = m(input_ids=ids).logits
    with open(args.out, "w") as f:
        json.dump({"model_type": m.config.model_type, "class": type(m).__name__,
                   "shape": list(out.shape), "logits": floats(out)}, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["adamw", "sampling", "nf4", "logits"])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--model")
    ap.add_argument("--ids")
    args = ap.parse_args()
    {"adamw": adamw, "sampling": sampling, "nf4": nf4, "logits": logits}[args.what](args)


if __name__ == "__main__":
    main()
