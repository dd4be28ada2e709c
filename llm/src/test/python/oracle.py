"""Hugging Face transformers / PEFT / TRL as a live oracle for Liandan's engine (tests only).

  oracle.py reference --seed S --out DIR --tokenizer TOKDIR
      draws a handful of tiny random configs from S (Qwen2, Llama, Mistral, Qwen3, Gemma 2, Gemma 3,
      Phi-3), saves each with save_pretrained under
      DIR/<case>/model and dumps what transformers, PEFT and TRL compute on it (safetensors + JSON);
      DIR/cases.json lists the cases and their configs.
  oracle.py check --out DIR
      loads what Liandan wrote under DIR/<case>/liandan (a PEFT adapter, merged checkpoints) with
      PEFT / transformers and dumps their logits to DIR/<case>/liandan/hf_logits.safetensors.

Everything runs in float32 with eager attention on the CPU, so differences are float rounding only.
"""
import argparse, copy, json, math, os, random
from collections import defaultdict
from types import SimpleNamespace

import torch
from safetensors.torch import save_file, load_file

torch.set_num_threads(1)  # two shared cores: one each for this and the JVM
import transformers
from transformers import (AutoModelForCausalLM, AutoTokenizer, Gemma2Config, Gemma3TextConfig,
                          LlamaConfig, MistralConfig, Phi3Config, Qwen2Config, Qwen3Config)

# the decoder families Liandan loads, by model_type; each run draws all of them: the first four
# share the four base cases, the Gemmas get a case each of their own
CONFIGS = {"qwen2": Qwen2Config, "llama": LlamaConfig, "mistral": MistralConfig,
           "qwen3": Qwen3Config}
GEMMAS = {"gemma2": Gemma2Config, "gemma3_text": Gemma3TextConfig}
OTHERS = {"phi3": Phi3Config}  # a case each, after the Gemmas

VOCAB = 512
PAD = 0


def versions():
    import peft, trl
    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "peft": peft.__version__, "trl": trl.__version__}


def draw_cases(seed):
    """Four configs per run; together each run has a tied and an untied model, a bf16 and a sharded
    checkpoint, right and left padding, an odd hidden size, and four different GQA ratios."""
    rng = random.Random(seed)
    ratios = rng.sample(range(1, 8), 4)
    fixed = [dict(tie=False, dtype="float32", sharded=True, padding="right", odd=False),
             dict(tie=True, dtype="bfloat16", sharded=False, padding="left", odd=False),
             dict(tie=rng.random() < 0.5, dtype=rng.choice(["float32", "bfloat16"]),
                  sharded=rng.random() < 0.5, padding=rng.choice(["right", "left"]), odd=True),
             dict(tie=rng.random() < 0.5, dtype=rng.choice(["float32", "bfloat16"]),
                  sharded=rng.random() < 0.5, padding=rng.choice(["right", "left"]),
                  odd=rng.random() < 0.5)]
    cases = []
    for i, f in enumerate(fixed):
        groups = ratios[i]
        kv = rng.choice([1, 2]) if groups <= 4 else 1
        heads = groups * kv
        head_dim = rng.choice([4, 6, 8, 10, 12])
        # an odd hidden size needs an explicit head_dim: hidden = heads * head_dim is even
        hidden = rng.randrange(17, 64, 2) if f["odd"] else heads * head_dim
        targets = rng.choice([["q_proj", "v_proj"], ["k_proj", "o_proj", "down_proj"],
                              ["gate_proj", "up_proj"], "all-linear"])
        cases.append(dict(
            name=f"case{i}", seed=rng.randrange(1 << 30), tie=f["tie"], dtype=f["dtype"],
            sharded=f["sharded"], padding=f["padding"],
            hidden_size=hidden, head_dim=head_dim if f["odd"] else None, num_attention_heads=heads,
            num_key_value_heads=kv, intermediate_size=rng.randrange(16, 96) | 1,
            num_hidden_layers=rng.choice([1, 2, 3]), rope_theta=rng.choice([10000.0, 1000000.0]),
            rms_norm_eps=rng.choice([1e-6, 1e-5]),
            lora=dict(r=rng.choice([2, 4, 8]), alpha=rng.choice([4, 8, 16, 32]), targets=targets,
                      lr=1e-2, weight_decay=0.3),
            dpo_beta=rng.choice([0.1, 0.5])))
    # each run covers every family, with its switches drawn (a stream of its own, so that a
    # replayed seed still draws the same shapes as before families were added)
    fam = random.Random(seed + 17)
    ext = random.Random(seed + 37)  # the RoPE types added later: old seeds keep their other draws
    for case, family in zip(cases, fam.sample(sorted(CONFIGS), len(CONFIGS))):
        case["family"] = family
        heads = case["num_attention_heads"]
        if family != "qwen2" and case["hidden_size"] % heads:
            # the others' configs want hidden % heads == 0 even with an explicit head_dim: keep
            # one that differs from hidden / heads, so that reading head_dim still matters
            case["hidden_size"] = heads * (case["head_dim"] + 2)
        if family in ("llama", "qwen3"):
            case["attention_bias"] = fam.random() < 0.5
        if family == "mistral":  # shorter than the 13-token rows, so the window shows
            case["sliding_window"] = fam.randrange(3, 9)
        if family == "llama":
            case["rope_scaling"] = fam.choice([None, "linear", "llama3"])
            if ext.random() < 0.5:  # half the runs: a type whose frequencies depend on more
                case["rope_scaling"] = ext.choice(["dynamic", "yarn", "longrope"])
                rd = case["head_dim"] or case["hidden_size"] // heads
                case.update(rope_extra(ext, case["rope_scaling"], rd))
    # the Gemmas: a stream of their own again, so the four cases above replay unchanged
    gem = random.Random(seed + 29)
    for family in sorted(GEMMAS):
        i = len(cases)
        kv = gem.choice([1, 2])
        heads = kv * gem.randrange(1, 5)
        head_dim = gem.choice([4, 6, 8])
        layers = gem.choice([2, 3])
        # both kinds of layer in every case (Gemma 3's pattern of 6 would make them all sliding)
        types = ["sliding_attention", "full_attention"] + [
            gem.choice(["sliding_attention", "full_attention"]) for _ in range(layers - 2)]
        gem.shuffle(types)
        case = dict(
            name=f"case{i}", family=family, seed=gem.randrange(1 << 30), tie=gem.random() < 0.5,
            dtype=gem.choice(["float32", "bfloat16"]), sharded=gem.random() < 0.5,
            padding=gem.choice(["right", "left"]),
            # hidden != heads * head_dim, so that reading head_dim matters
            hidden_size=heads * (head_dim + 2), head_dim=head_dim, num_attention_heads=heads,
            num_key_value_heads=kv, intermediate_size=gem.randrange(16, 96) | 1,
            num_hidden_layers=layers, rope_theta=gem.choice([10000.0, 1000000.0]),
            rms_norm_eps=gem.choice([1e-6, 1e-5]), attention_bias=gem.random() < 0.5,
            sliding_window=gem.randrange(3, 9), layer_types=types,
            query_pre_attn_scalar=gem.choice([head_dim, 2 * head_dim, 7]),
            lora=dict(r=gem.choice([2, 4, 8]), alpha=gem.choice([4, 8, 16, 32]),
                      targets=gem.choice([["q_proj", "v_proj"], ["k_proj", "o_proj", "down_proj"],
                                          ["gate_proj", "up_proj"], "all-linear"]),
                      lr=1e-2, weight_decay=0.3),
            dpo_beta=gem.choice([0.1, 0.5]))
        if family == "gemma2":
            # a tiny random model's scores are ~1e-2 and move its logits too little for any cap
            # to show (checked), so its q/k weights are scaled up; Gemma 3 covers the uncapped path
            case["attn_logit_softcapping"] = gem.choice([0.5, 2.0])
            case["qk_gain"] = 20.0  # q/k weights × 20: scores of order 1, which the cap bends
            case["final_logit_softcapping"] = gem.choice([None, 0.3, 1.0])
        else:
            case["rope_local_base_freq"] = gem.choice([100.0, 10000.0])
            case["rope_scaling"] = gem.choice([None, "linear"])
        cases.append(case)
    # Phi-3: a stream of its own, so the cases above replay unchanged
    phi = random.Random(seed + 31)
    kv = phi.choice([1, 2])
    heads = kv * phi.randrange(1, 5)
    head_dim = phi.choice([8, 16])  # 0.5 and 0.75 of it are even: partial rotary stays even
    partial = phi.choice([1.0, 0.75, 0.5])
    case = dict(
        name=f"case{len(cases)}", family="phi3", seed=phi.randrange(1 << 30),
        tie=phi.random() < 0.5, dtype=phi.choice(["float32", "bfloat16"]),
        sharded=phi.random() < 0.5, padding=phi.choice(["right", "left"]),
        # no explicit head_dim: Phi3Config checks longrope's factor lists against hidden / heads
        hidden_size=heads * head_dim, head_dim=None, num_attention_heads=heads,
        num_key_value_heads=kv, intermediate_size=phi.randrange(16, 96) | 1,
        num_hidden_layers=phi.choice([1, 2, 3]), rope_theta=phi.choice([10000.0, 1000000.0]),
        rms_norm_eps=phi.choice([1e-6, 1e-5]), partial_rotary_factor=partial,
        lora=dict(r=phi.choice([2, 4, 8]), alpha=phi.choice([4, 8, 16, 32]),
                  targets=phi.choice([["qkv_proj"], ["qkv_proj", "o_proj"],
                                      ["gate_up_proj", "down_proj"], "all-linear"]),
                  lr=1e-2, weight_decay=0.3),
        dpo_beta=phi.choice([0.1, 0.5]))
    if phi.random() < 0.5:  # as Phi-3-mini-4k (2047): shorter than the rows, so it shows
        case["sliding_window"] = phi.randrange(3, 9)
    case["rope_scaling"] = phi.choice([None, "longrope"])
    if case["rope_scaling"]:
        case.update(rope_extra(phi, "longrope", int(head_dim * partial)))
    cases.append(case)
    return cases


def rope_extra(rng, kind, rd):
    """The parameters of a length-dependent or attention-scaled RoPE type, drawn so that the
    13-token rows and the 19 positions of generation cross the length where it changes (12), while
    the training tests' rows (at most 11 tokens) stay below it: dynamic and longrope choose their
    frequencies by a forward's padded length, so rows straddling it would make the result depend on
    how TRL and Liandan group rows into forwards (and transformers keeps a dynamic base from its
    longest call until one within max_position_embeddings resets it). rd = the rotary dimension."""
    if kind == "dynamic":
        return dict(max_position_embeddings=12, rope_extra=dict(factor=rng.choice([2.0, 4.0])))
    if kind == "yarn":
        extra = dict(factor=rng.choice([4.0, 16.0]),
                     original_max_position_embeddings=rng.choice([64, 4096]),
                     truncate=rng.random() < 0.5)
        extra.update(rng.choice([{}, dict(attention_factor=0.8), dict(mscale=1.0, mscale_all_dim=0.5),
                                 dict(beta_fast=8.0, beta_slow=2.0)]))
        return dict(rope_extra=extra)
    # longrope: factor = max_position_embeddings / original, its attention factor derived from it
    return dict(rope_extra=dict(
        short_factor=[round(rng.uniform(1, 2), 3) for _ in range(rd // 2)],
        long_factor=[round(rng.uniform(1, 8), 3) for _ in range(rd // 2)],
        original_max_position_embeddings=12))


def build(case, out):
    kw = dict(vocab_size=VOCAB, hidden_size=case["hidden_size"],
              intermediate_size=case["intermediate_size"], num_hidden_layers=case["num_hidden_layers"],
              num_attention_heads=case["num_attention_heads"],
              num_key_value_heads=case["num_key_value_heads"],
              max_position_embeddings=case.get("max_position_embeddings", 256),
              rope_theta=case["rope_theta"], rms_norm_eps=case["rms_norm_eps"],
              tie_word_embeddings=case["tie"], bos_token_id=1, eos_token_id=2, pad_token_id=PAD)
    family = case.get("family", "qwen2")
    if case["head_dim"] or family == "qwen3":  # Qwen3Config's default head_dim is 128 (Gemma 256)
        kw["head_dim"] = case["head_dim"] or case["hidden_size"] // case["num_attention_heads"]
    if "attention_bias" in case:
        kw["attention_bias"] = case["attention_bias"]
    if "sliding_window" in case:
        kw["sliding_window"] = case["sliding_window"]
    for key in ("layer_types", "query_pre_attn_scalar", "attn_logit_softcapping",
                "final_logit_softcapping"):
        if key in case:
            kw[key] = case[key]
    scaling = case.get("rope_scaling")
    if family == "gemma3_text":  # a RoPE per layer type: the global one scaled, the local base
        full = {"rope_type": scaling or "default", "rope_theta": kw.pop("rope_theta")}
        if scaling:
            full["factor"] = 4.0
        kw["rope_parameters"] = {"full_attention": full, "sliding_attention": {
            "rope_type": "default", "rope_theta": case["rope_local_base_freq"]}}
    elif family == "phi3":  # partial rotary and longrope's own original length, top-level
        kw["rope_parameters"] = {"rope_type": scaling or "default", "rope_theta": kw.pop("rope_theta"),
                                 "partial_rotary_factor": case["partial_rotary_factor"]}
        if scaling:
            extra = dict(case["rope_extra"])
            kw["original_max_position_embeddings"] = extra.pop("original_max_position_embeddings")
            kw["rope_parameters"].update(extra)
    elif "rope_extra" in case:
        kw["rope_parameters"] = {"rope_type": scaling, "rope_theta": kw.pop("rope_theta"),
                                 **case["rope_extra"]}
    elif scaling:
        kw["rope_parameters"] = {"rope_type": scaling, "rope_theta": kw.pop("rope_theta"),
                                 "factor": 4.0}
        if scaling == "llama3":  # a short original context puts the tiny heads' bands in all three
            kw["rope_parameters"].update(low_freq_factor=1.0, high_freq_factor=4.0,
                                         original_max_position_embeddings=32)
    cfg = {**CONFIGS, **GEMMAS, **OTHERS}[family](**kw)
    cfg._attn_implementation = "eager"
    torch.manual_seed(case["seed"])
    m = AutoModelForCausalLM.from_config(cfg).float().eval()
    with torch.no_grad():  # non-trivial norms and biases, so that a loading bug shows
        for n, p in m.named_parameters():
            if "norm" in n:
                p.add_(0.1 * torch.randn_like(p))
            if n.endswith("bias"):
                p.copy_(0.05 * torch.randn_like(p))
            if ("q_proj" in n or "k_proj" in n) and "qk_gain" in case:
                p.mul_(case["qk_gain"])
            if case["dtype"] == "bfloat16":  # the float32 model computes with the stored values
                p.copy_(p.bfloat16().float())
    d = os.path.join(out, case["name"], "model")
    shard = {"max_shard_size": "24KB"} if case["sharded"] else {}
    saved = copy.deepcopy(m).to(torch.bfloat16) if case["dtype"] == "bfloat16" else m
    saved.save_pretrained(d, **shard)
    return m, d


def padded_batch(g, rows, padding):
    """(B, T) ids, mask and position ids for rows of the given lengths, padded on one side."""
    lens = [int(x) for x in rows]
    T = max(lens)
    ids = torch.full((len(lens), T), PAD, dtype=torch.int64)
    mask = torch.zeros_like(ids)
    for b, n in enumerate(lens):
        toks = torch.randint(3, VOCAB, (n,), generator=g)
        sl = slice(0, n) if padding == "right" else slice(T - n, T)
        ids[b, sl] = toks
        mask[b, sl] = 1
    # what generate() passes: positions count real tokens only; padding gets 1
    pos = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
    return ids, mask, pos


def logits_case(m, case, d):
    g = torch.Generator().manual_seed(case["seed"] + 1)
    ids, mask, pos = padded_batch(g, [13, 9, 5], case["padding"])
    labels = ids.masked_fill(mask == 0, -100)
    with torch.no_grad():
        out = m(input_ids=ids, attention_mask=mask, position_ids=pos, labels=labels)
    save_file({"input_ids": ids, "attention_mask": mask, "position_ids": pos,
               "logits": out.logits.contiguous(), "loss": out.loss.reshape(1)},
              os.path.join(d, "logits.safetensors"))


# Twice the logits' tolerance (1e-4 abs): two implementations that agree within it cannot pick
# different tokens. It was 1e-3, which the tiniest random models (hidden 12–20, logits within ±0.26)
# sometimes never reach in 50 prompt pairs (seed 451117915, Gemma 3: 8.2e-4 at best).
GREEDY_MARGIN = 2.5e-4


def top_margin(scores):
    """The smallest lead of the top-1 logit over the runner-up, over every row and step."""
    top2 = scores.topk(2, -1).values
    return (top2[..., 0] - top2[..., 1]).min().item()


def generate_case(m, case, d):
    """Greedy ids for a left-padded batch of two prompts; prompts are redrawn until every step's
    top-1 logit leads the runner-up by GREEDY_MARGIN (before a final soft-cap), so float rounding
    cannot flip a token."""
    g = torch.Generator().manual_seed(case["seed"] + 2)
    # Phi-3 with longrope: its prepare_inputs_for_generation drops the cache when the sequence first
    # passes original_max_position_embeddings, meaning to recompute every position with the long
    # factors; in transformers 5.17 it still feeds the last token only, so from there on each step
    # sees itself alone (checked). Uncached generation computes what the override means to, and
    # what Liandan's generator does (one recompute at that step, cached again after it).
    cached = not (case.get("family") == "phi3" and case.get("rope_scaling") == "longrope")
    for attempt in range(50):
        prompts = [torch.randint(3, VOCAB, (n,), generator=g).tolist() for n in (7, 3)]
        ids = torch.tensor([prompts[0], [PAD] * 4 + prompts[1]])
        mask = (torch.arange(7) >= torch.tensor([[0], [4]])).long()  # left padding
        with torch.no_grad():
            res = m.generate(input_ids=ids, attention_mask=mask, max_new_tokens=12, do_sample=False,
                             use_cache=cached, eos_token_id=None, pad_token_id=PAD, output_scores=True,
                             return_dict_in_generate=True)
        scores = torch.stack(res.scores, 1)  # (B, steps, V)
        margin = top_margin(scores)
        cap = case.get("final_logit_softcapping")
        if cap:
            # cap·tanh(x/cap) is monotonic, so the ranking and its float risk are the uncapped
            # logits': a cap near the logits' size squeezes every capped margin below 1e-3 (seed
            # 637585328). The capped margin still has to clear tanh's own rounding.
            uncapped = cap * torch.atanh((scores.double() / cap).clamp(-1 + 1e-12, 1 - 1e-12))
            if margin > 1e-5:
                margin = top_margin(uncapped)
        if margin > GREEDY_MARGIN:
            break
    else:
        raise RuntimeError(f"no prompt pair with a greedy margin above {GREEDY_MARGIN}")
    new = res.sequences[:, ids.shape[1]:].tolist()
    json.dump({"prompts": prompts, "generated": [p + n for p, n in zip(prompts, new)],
               "min_margin": margin}, open(os.path.join(d, "generate.json"), "w"))


def lora_case(m, case, d):
    """PEFT adapter with random B; one SFT step's loss and gradients, then one torch AdamW step
    (with and without weight decay, so the test can see that the decay is applied)."""
    from peft import LoraConfig, get_peft_model
    L = case["lora"]
    torch.manual_seed(case["seed"] + 3)
    cfg = LoraConfig(r=L["r"], lora_alpha=L["alpha"], target_modules=L["targets"], lora_dropout=0.0,
                     bias="none", task_type="CAUSAL_LM", init_lora_weights=False)
    pm = get_peft_model(copy.deepcopy(m), cfg)
    pm.save_pretrained(os.path.join(d, "lora"))
    g = torch.Generator().manual_seed(case["seed"] + 4)
    ids, mask, _ = padded_batch(g, [11, 8], "right")
    labels = ids.masked_fill(mask == 0, -100)
    labels[:, :3] = -100  # the prompt, as completion-only SFT masks it
    pm.train()
    out = pm(input_ids=ids, attention_mask=mask, labels=labels)
    out.loss.backward()
    live = {n.replace("base_model.model.", "").replace(".default", ""): p
            for n, p in pm.named_parameters() if p.requires_grad}
    t = {"input_ids": ids, "attention_mask": mask, "labels": labels, "loss": out.loss.detach().reshape(1)}
    for n, p in live.items():
        t["before." + n] = p.detach().clone()
        t["grad." + n] = p.grad.detach().clone()
    # the same step in float64: how far float32 itself strays on this random case (some draws are
    # ill-conditioned enough that transformers' own float32 gradient is 3e-4 off the exact one)
    pm64 = copy.deepcopy(pm).double()
    pm64.zero_grad()
    pm64(input_ids=ids, attention_mask=mask, labels=labels).loss.backward()
    for n, p in pm64.named_parameters():
        if p.requires_grad:
            t["grad64." + n.replace("base_model.model.", "").replace(".default", "")] = p.grad.detach().float()
    for wd, key in ((L["weight_decay"], "after."), (0.0, "after_no_decay.")):
        params = {n: p.detach().clone().requires_grad_(True) for n, p in live.items()}
        for n, p in params.items():
            p.grad = live[n].grad.detach().clone()
        opt = torch.optim.AdamW(list(params.values()), lr=L["lr"], betas=(0.9, 0.999), eps=1e-8,
                                weight_decay=wd)
        opt.step()
        for n, p in params.items():
            t[key + n] = p.detach().clone()
    save_file({k: v.contiguous() for k, v in t.items()}, os.path.join(d, "lora_step.safetensors"))


def peft_trained_case(m, case, d):
    """An adapter PEFT trains (three AdamW steps) and saves: Liandan must load it to PEFT's logits."""
    from peft import LoraConfig, get_peft_model
    torch.manual_seed(case["seed"] + 5)
    pm = get_peft_model(copy.deepcopy(m), LoraConfig(r=4, lora_alpha=8, target_modules="all-linear",
                                                     lora_dropout=0.0, task_type="CAUSAL_LM"))
    opt = torch.optim.AdamW([p for p in pm.parameters() if p.requires_grad], lr=5e-2, weight_decay=0.01)
    g = torch.Generator().manual_seed(case["seed"] + 6)
    ids = torch.randint(3, VOCAB, (2, 10), generator=g)
    pm.train()
    for _ in range(3):
        pm(input_ids=ids, labels=ids).loss.backward()
        opt.step()
        opt.zero_grad()
    pm.eval()
    pm.save_pretrained(os.path.join(d, "peft_trained"))
    with torch.no_grad():
        logits = pm(input_ids=ids).logits
    save_file({"input_ids": ids, "logits": logits.contiguous()},
              os.path.join(d, "peft_trained_logits.safetensors"))


def dpo_case(m, case, d):
    """TRL's own DPOTrainer._compute_loss, called on a stand-in trainer (its loss code needs a few
    attributes only), for policy = base + the case's PEFT adapter, reference = adapter disabled.
    Per-pair log-probs by the documented formula, checked here against TRL's means."""
    from peft import PeftModel
    from trl.trainer.dpo_trainer import DPOTrainer
    from trl.trainer.utils import add_fused_lm_head
    beta = case["dpo_beta"]
    base = copy.deepcopy(m)
    add_fused_lm_head(base, outputs=("log_probs", "entropy", "mean_logits", "is_top1"))
    pol = PeftModel.from_pretrained(base, os.path.join(d, "lora")).eval()
    g = torch.Generator().manual_seed(case["seed"] + 7)
    n = 3
    lens = [(int(torch.randint(2, 7, (1,), generator=g)), int(torch.randint(1, 6, (1,), generator=g)),
             int(torch.randint(1, 6, (1,), generator=g))) for _ in range(n)]
    pairs = [[torch.randint(3, VOCAB, (k,), generator=g).tolist() for k in l] for l in lens]
    rows = [p + c for p, c, _ in pairs] + [p + r for p, _, r in pairs]
    T = max(len(r) for r in rows)
    ids = torch.full((2 * n, T), PAD, dtype=torch.int64)
    mask, comp = torch.zeros_like(ids), torch.zeros_like(ids)
    for b, r in enumerate(rows):
        ids[b, :len(r)] = torch.tensor(r)
        mask[b, :len(r)] = 1
        comp[b, len(pairs[b % n][0]):len(r)] = 1
    metrics = {"train": defaultdict(list), "eval": defaultdict(list)}
    acc = SimpleNamespace(device="cpu", gather_for_metrics=lambda x: x, gather=lambda x: x,
                          unwrap_model=lambda x: x)
    fake = SimpleNamespace(model=pol, ref_model=None, accelerator=acc, aux_loss_enabled=False,
                           ld_alpha=None, precompute_ref_logps=False, f_divergence_type="reverse_kl",
                           loss_types=["sigmoid"], loss_weights=[1.0], beta=beta, label_smoothing=0.0,
                           use_weighting=False, _metrics=metrics, _total_train_tokens=0, _tp_size=1,
                           args=SimpleNamespace(gradient_checkpointing_kwargs=None))
    with torch.no_grad():
        loss = DPOTrainer._compute_loss(fake, pol, {"input_ids": ids, "attention_mask": mask,
                                                    "completion_mask": comp}, False)
    trl_metrics = {k: v[-1] for k, v in metrics["eval"].items()}
    trl_metrics["loss"] = float(loss)

    def seq_logps(model):
        with torch.no_grad():
            lg = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
        lp = torch.log_softmax(lg, -1).gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
        return (lp * comp[:, 1:]).sum(-1)

    p = seq_logps(pol)
    with pol.disable_adapter():
        r = seq_logps(pol)
    pc, pr, rc, rr = p[:n], p[n:], r[:n], r[n:]
    losses = -torch.nn.functional.logsigmoid(beta * ((pc - rc) - (pr - rr)))
    if abs(losses.mean().item() - trl_metrics["loss"]) > 1e-5 or \
            abs(pc.mean().item() - trl_metrics["logps/chosen"]) > 1e-4:
        raise RuntimeError(f"documented DPO formula disagrees with TRL: {losses.mean()} {trl_metrics}")
    save_file({"policy_chosen_logps": pc, "policy_rejected_logps": pr, "ref_chosen_logps": rc,
               "ref_rejected_logps": rr, "losses": losses, "rewards_chosen": beta * (pc - rc),
               "rewards_rejected": beta * (pr - rr)}, os.path.join(d, "dpo.safetensors"))
    json.dump({"pairs": pairs, "beta": beta, "trl": trl_metrics}, open(os.path.join(d, "dpo.json"), "w"))


# the preference losses each run checks: (name, TRL trainer, its settings); beta and the smoothing
# are drawn per case so that a run covers other values than the last one
def preference_configs(rng):
    beta = rng.choice([0.1, 0.3, 0.5])
    return [
        dict(name="sigmoid", trainer="dpo", loss_type=["sigmoid"], beta=beta),
        dict(name="hinge", trainer="dpo", loss_type=["hinge"], beta=beta),
        dict(name="ipo", trainer="dpo", loss_type=["ipo"], beta=beta),
        dict(name="exo_pair", trainer="dpo", loss_type=["exo_pair"], beta=beta,
             label_smoothing=rng.choice([1e-3, 0.05])),
        dict(name="robust", trainer="dpo", loss_type=["robust"], beta=beta,
             label_smoothing=rng.choice([0.1, 0.2])),
        dict(name="bco_pair", trainer="dpo", loss_type=["bco_pair"], beta=beta),
        dict(name="apo_zero", trainer="dpo", loss_type=["apo_zero"], beta=beta),
        dict(name="rpo", trainer="dpo", loss_type=["sigmoid", "sft"], beta=beta,
             loss_weights=[1.0, rng.choice([0.5, 1.0])]),
        dict(name="orpo", trainer="orpo", loss_type=["orpo"], beta=rng.choice([0.1, 0.25])),
        dict(name="simpo", trainer="simpo", loss_type=["simpo"], beta=rng.choice([2.0, 2.5]),
             simpo_gamma=rng.choice([0.5, 1.0]), cpo_alpha=rng.choice([0.0, 0.5]),
             label_smoothing=rng.choice([0.0, 0.1])),
    ]


PREF_LR, PREF_STEPS = 5e-3, 3


def adamw_steps(pol, run, tensors, grad_prefix):
    """PREF_STEPS torch AdamW steps of run's loss on pol's trainable parameters: each step's loss
    and TRL's logged metrics (taken before its update, as TRL logs them); the first step's
    gradients go into tensors under grad_prefix (as float32). Run once in float32 (the peer) and
    once in float64: how far float32 itself strays along the trajectory on this draw."""
    strip = lambda n_: n_.replace("base_model.model.", "").replace(".default", "")
    params = {strip(n_): p for n_, p in pol.named_parameters() if p.requires_grad}
    opt = torch.optim.AdamW(list(params.values()), lr=PREF_LR, betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=0.0)
    steps = []
    for step in range(PREF_STEPS):
        opt.zero_grad()
        loss, mt = run()
        loss.backward()
        if step == 0:
            for k, p in params.items():
                tensors[grad_prefix + k] = p.grad.detach().float().clone()
        # a float64 run that overflowed (soft-capped Gemma 2 draws) writes null: JSON has no NaN
        steps.append({k: float(v) if math.isfinite(float(v)) else None
                      for k, v in dict(mt, loss=loss).items()})
        opt.step()
    return steps


def preference_case(m, case, d):
    """Each loss by TRL's own code on the case's PEFT policy (the adapter off = DPO's reference):
    the first step's loss, metrics and LoRA gradients, then PREF_STEPS torch AdamW steps on the
    same pairs with each step's metrics (taken before its update, as TRL logs them)."""
    from peft import PeftModel
    from trl.trainer.dpo_trainer import DPOTrainer
    from trl.trainer.utils import add_fused_lm_head
    from trl.experimental.orpo.orpo_trainer import ORPOTrainer
    from trl.experimental.cpo.cpo_trainer import CPOTrainer
    rng = random.Random(case["seed"] + 8)
    g = torch.Generator().manual_seed(case["seed"] + 9)
    n = 3
    lens = [(int(torch.randint(2, 7, (1,), generator=g)), int(torch.randint(1, 6, (1,), generator=g)),
             int(torch.randint(1, 6, (1,), generator=g))) for _ in range(n)]
    pairs = [[torch.randint(3, VOCAB, (k,), generator=g).tolist() for k in l] for l in lens]

    def side(which):  # right-padded prompt‖reply rows, their mask and completion-only labels
        rows = [p[0] + p[which] for p in pairs]
        T = max(len(r) for r in rows)
        ids = torch.full((n, T), PAD, dtype=torch.int64)
        mask, labels = torch.zeros_like(ids), torch.full_like(ids, -100)
        for b, r in enumerate(rows):
            ids[b, :len(r)] = torch.tensor(r)
            mask[b, :len(r)] = 1
            labels[b, len(pairs[b][0]):len(r)] = ids[b, len(pairs[b][0]):len(r)]
        return ids, mask, labels

    (ci, cm, cl), (ri, rm, rl) = side(1), side(2)
    T = max(ci.shape[1], ri.shape[1])
    pad = lambda x, v: torch.nn.functional.pad(x, (0, T - x.shape[1]), value=v)
    dpo_inputs = {"input_ids": torch.cat([pad(ci, PAD), pad(ri, PAD)]),
                  "attention_mask": torch.cat([pad(cm, 0), pad(rm, 0)]),
                  "completion_mask": torch.cat([pad((cl != -100).long(), 0), pad((rl != -100).long(), 0)])}
    pref_batch = {"chosen_input_ids": ci, "chosen_attention_mask": cm, "chosen_labels": cl,
                  "rejected_input_ids": ri, "rejected_attention_mask": rm, "rejected_labels": rl}
    acc = SimpleNamespace(device="cpu", gather_for_metrics=lambda x: x, gather=lambda x: x,
                          unwrap_model=lambda x: x)
    results, tensors = [], {}
    def build(cfg, dtype):
        """The policy (base + the case's adapter, trainable) in dtype and a closure running TRL's
        loss code on it, returning (loss, TRL's logged metrics)."""
        base = copy.deepcopy(m).to(dtype)
        if cfg["trainer"] == "dpo":
            add_fused_lm_head(base, outputs=("log_probs", "entropy", "mean_logits", "is_top1"))
        pol = PeftModel.from_pretrained(base, os.path.join(d, "lora"), is_trainable=True).to(dtype)
        pol.train()
        metrics = {"train": defaultdict(list), "eval": defaultdict(list)}
        if cfg["trainer"] == "dpo":
            fake = SimpleNamespace(
                model=pol, ref_model=None, accelerator=acc, aux_loss_enabled=False, ld_alpha=None,
                precompute_ref_logps=False, f_divergence_type="reverse_kl", loss_types=cfg["loss_type"],
                loss_weights=cfg.get("loss_weights", [1.0] * len(cfg["loss_type"])), beta=cfg["beta"],
                label_smoothing=cfg.get("label_smoothing", 0.0), use_weighting=False, _metrics=metrics,
                _total_train_tokens=0, _tp_size=1, args=SimpleNamespace(gradient_checkpointing_kwargs=None))

            def run():
                loss = DPOTrainer._compute_loss(fake, pol, dpo_inputs, False)
                return loss, {k: v[-1] for k, v in metrics["train"].items()}
            return pol, run
        T_ = ORPOTrainer if cfg["trainer"] == "orpo" else CPOTrainer
        fake = SimpleNamespace(accelerator=acc, aux_loss_enabled=False, is_encoder_decoder=False,
                               padding_value=PAD, pad_token_id=PAD, beta=cfg["beta"],
                               label_smoothing=cfg.get("label_smoothing", 0.0), loss_type="simpo",
                               simpo_gamma=cfg.get("simpo_gamma", 0.5), alpha=0.0,
                               cpo_alpha=cfg.get("cpo_alpha", 0.0))
        fake.concatenated_inputs = T_.concatenated_inputs
        fake.get_batch_logps = T_.get_batch_logps
        fake.concatenated_forward = lambda mod, b: T_.concatenated_forward(fake, mod, b)
        fake.odds_ratio_loss = lambda c, r: T_.odds_ratio_loss(fake, c, r)
        fake.cpo_loss = lambda c, r: T_.cpo_loss(fake, c, r)
        return pol, lambda: T_.get_batch_loss_metrics(fake, pol, pref_batch, "train")

    # half the losses per case (every loss on two of the four models per run), to keep CI short
    half = int(case["name"][-1]) % 2
    for cfg in preference_configs(rng)[half::2]:
        # float64: how far float32 itself strays from the exact gradient and trajectory on this draw
        steps64 = adamw_steps(*build(cfg, torch.float64), tensors, cfg["name"] + ".grad64.")
        steps = adamw_steps(*build(cfg, torch.float32), tensors, cfg["name"] + ".grad.")
        results.append(dict(cfg, steps=steps, steps64=steps64))
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(d, "preference.safetensors"))
    json.dump({"pairs": pairs, "lr": PREF_LR, "configs": results},
              open(os.path.join(d, "preference.json"), "w"), indent=1)


def kto_case(m, case, d):
    """TRL's KTOTrainer._compute_loss (loss_type kto, the KL estimate from mismatched pairs its
    collator builds: row i's prompt with row i-1's completion) on the case's PEFT policy: the first
    step's loss, metrics and LoRA gradients (also in float64), then PREF_STEPS AdamW steps."""
    from peft import PeftModel
    from trl.trainer.kto_trainer import KTOTrainer
    from trl.trainer.utils import add_fused_lm_head
    rng = random.Random(case["seed"] + 10)
    g = torch.Generator().manual_seed(case["seed"] + 11)
    n = 4
    labels = [True, False] + [rng.random() < 0.5 for _ in range(n - 2)]
    rng.shuffle(labels)
    rows = [[torch.randint(3, VOCAB, (int(torch.randint(k0, k1, (1,), generator=g)),), generator=g).tolist()
             for k0, k1 in ((2, 7), (1, 6))] for _ in range(n)]
    cfg = dict(beta=rng.choice([0.1, 0.5]), desirable_weight=rng.choice([1.0, 1.33]),
               undesirable_weight=rng.choice([1.0, 0.8]))

    def batch(pairs):
        T = max(len(p) + len(c) for p, c in pairs)
        ids = torch.full((n, T), PAD, dtype=torch.int64)
        mask, comp = torch.zeros_like(ids), torch.zeros_like(ids)
        for b, (p, c) in enumerate(pairs):
            ids[b, :len(p) + len(c)] = torch.tensor(p + c)
            mask[b, :len(p) + len(c)] = 1
            comp[b, len(p):len(p) + len(c)] = 1
        return ids, mask, comp

    ids, mask, comp = batch(rows)
    kids, kmask, kcomp = batch([(rows[i][0], rows[i - 1][1]) for i in range(n)])
    inputs = {"input_ids": ids, "attention_mask": mask, "completion_mask": comp, "label": torch.tensor(labels),
              "KL_input_ids": kids, "KL_attention_mask": kmask, "KL_completion_mask": kcomp}
    acc = SimpleNamespace(device="cpu", gather_for_metrics=lambda x: x, gather=lambda x: x,
                          unwrap_model=lambda x: x)

    def build(dtype):
        base = copy.deepcopy(m).to(dtype)
        add_fused_lm_head(base, outputs=("log_probs", "entropy", "mean_logits", "is_top1"))
        pol = PeftModel.from_pretrained(base, os.path.join(d, "lora"), is_trainable=True).to(dtype)
        pol.train()
        metrics = {"train": defaultdict(list), "eval": defaultdict(list)}
        fake = SimpleNamespace(model=pol, ref_model=None, accelerator=acc, calculate_KL=True,
                               precompute_ref_logps=False, aux_loss_enabled=False, loss_type="kto",
                               _metrics=metrics, _total_train_tokens=0, _tp_size=1,
                               args=SimpleNamespace(gradient_checkpointing_kwargs=None), **cfg)
        fake._compute_kl_logps = lambda mod, b: KTOTrainer._compute_kl_logps(fake, mod, b)

        def run():
            loss = KTOTrainer._compute_loss(fake, pol, inputs, False)
            return loss, {k: v[-1] for k, v in metrics["train"].items()}
        return pol, run

    tensors = {}
    steps64 = adamw_steps(*build(torch.float64), tensors, "grad64.")
    steps = adamw_steps(*build(torch.float32), tensors, "grad.")
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(d, "kto.safetensors"))
    json.dump(dict(cfg, rows=rows, labels=labels, lr=PREF_LR, steps=steps, steps64=steps64),
              open(os.path.join(d, "kto.json"), "w"), indent=1)


def chat_cases(seed, tokenizer_dir, out):
    """Random conversations rendered by the real tokenizer's own chat template."""
    rng = random.Random(seed + 11)
    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    pieces = ["你好", "李白是谁?", "The birch canoe", " slid", "\n", "\n\n", "  ", "\t", "🤖", "ünïcödé",
              "{{ 1 + 1 }}", "{% raw %}", "<think>", "</think>", "<tool_call>", "\"quoted\"", "a\\b",
              "<|im_end|>", "end.", "  trailing  "]
    text = lambda: "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 8)))
    res = []
    for _ in range(4):
        msgs = [{"role": "system", "content": text()}] if rng.random() < 0.5 else []
        for turn in range(rng.randrange(1, 4)):
            msgs.append({"role": "user", "content": text()})
            reply = text()
            if rng.random() < 0.3:
                reply = "<think>\n" + text() + "\n</think>\n\n" + reply
            msgs.append({"role": "assistant", "content": reply})
        if rng.random() < 0.5:
            msgs.pop()  # ends with the user: the usual prompt
        agp = rng.random() < 0.5
        kwargs = {"enable_thinking": rng.random() < 0.5} if rng.random() < 0.5 else {}
        s = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=agp, **kwargs)
        ids = tok(s, add_special_tokens=False)["input_ids"]
        res.append({"messages": msgs, "add_generation_prompt": agp, "kwargs": kwargs, "text": s,
                    "ids": ids})
    json.dump(res, open(os.path.join(out, "chat.json"), "w"), ensure_ascii=False, indent=1)


def family_chat_cases(seed, tokenizer_dir, out):
    """Each family's chat template (src/test/resources/chat-templates/*/tokenizer_config.json) on
    random conversations, rendered by apply_chat_template; what a template refuses (Gemma 2's
    system role, roles out of turn) is recorded as its error message."""
    from jinja2.exceptions import TemplateError
    rng = random.Random(seed + 17)
    root = os.path.join(os.path.dirname(__file__), "..", "resources", "chat-templates")
    tok = AutoTokenizer.from_pretrained(tokenizer_dir)  # any tokenizer: only the text is compared
    pieces = ["你好", "李白是谁?", "The birch canoe", " slid", "\n", "\n\n", "  ", "\t", "🤖", "ünïcödé",
              "{{ 1 + 1 }}", "{% raw %}", "<|eot_id|>", "<end_of_turn>", "[INST]", "\"quoted\"",
              "a\\b", "end.", "  trailing  "]
    text = lambda: "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 8)))
    res = []
    for family in sorted(os.listdir(root)):
        cfg = json.load(open(os.path.join(root, family, "tokenizer_config.json")))
        for i in range(4):  # the first with a system message: Gemma 2 must refuse it
            msgs = [{"role": "system", "content": text()}] if i == 0 or rng.random() < 0.4 else []
            for turn in range(rng.randrange(1, 4)):
                msgs.append({"role": "user", "content": text()})
                msgs.append({"role": "assistant", "content": text()})
            if rng.random() < 0.5:
                msgs.pop()  # ends with the user: the usual prompt
            if rng.random() < 0.15:  # out of turn: the alternating templates refuse it
                msgs.append({"role": "user", "content": text()})
            agp = rng.random() < 0.5
            kwargs = {"date_string": "05 Dec 2026"} if rng.random() < 0.5 else {}
            case = {"family": family, "messages": msgs, "add_generation_prompt": agp,
                    "kwargs": kwargs}
            try:
                case["text"] = tok.apply_chat_template(
                    msgs, tokenize=False, add_generation_prompt=agp,
                    chat_template=cfg["chat_template"], bos_token=cfg["bos_token"],
                    eos_token=cfg["eos_token"], **kwargs)
            except TemplateError as e:
                case["error"] = str(e)
            res.append(case)
    json.dump(res, open(os.path.join(out, "chat-families.json"), "w"), ensure_ascii=False, indent=1)


def reference(a):
    cases = draw_cases(a.seed)
    for case in cases:
        m, md = build(case, a.out)
        d = os.path.dirname(md)
        logits_case(m, case, d)
        generate_case(m, case, d)
        lora_case(m, case, d)
        peft_trained_case(m, case, d)
        dpo_case(m, case, d)
        preference_case(m, case, d)
        kto_case(m, case, d)
    chat_cases(a.seed, a.tokenizer, a.out)
    family_chat_cases(a.seed, a.tokenizer, a.out)
    json.dump({"seed": a.seed, "versions": versions(), "cases": cases},
              open(os.path.join(a.out, "cases.json"), "w"), indent=1)


def check(a):
    """Loads what Liandan wrote with PEFT and transformers; their logits on Liandan's inputs."""
    from peft import PeftModel
    for case in json.load(open(os.path.join(a.out, "cases.json")))["cases"]:
        d = os.path.join(a.out, case["name"], "liandan")
        if not os.path.isdir(d):
            continue
        ids = load_file(os.path.join(d, "inputs.safetensors"))["input_ids"]
        out = {}
        with torch.no_grad():
            base = AutoModelForCausalLM.from_pretrained(os.path.join(a.out, case["name"], "model"),
                                                    dtype=torch.float32, attn_implementation="eager")
            peft = PeftModel.from_pretrained(base, os.path.join(d, "adapter")).eval()
            out["peft"] = peft(input_ids=ids).logits
            for dt in ("float32", "bfloat16"):
                mm = AutoModelForCausalLM.from_pretrained(os.path.join(d, "merged-" + dt),
                                                      dtype=torch.float32,
                                                      attn_implementation="eager").eval()
                out["merged-" + dt] = mm(input_ids=ids).logits
            dpo_dir = os.path.join(d, "dpo-adapter")
            if os.path.isdir(dpo_dir):  # base_model_name_or_path must lead to the right base
                cfg = json.load(open(os.path.join(dpo_dir, "adapter_config.json")))
                b = AutoModelForCausalLM.from_pretrained(cfg["base_model_name_or_path"],
                                                     dtype=torch.float32, attn_implementation="eager")
                out["dpo"] = PeftModel.from_pretrained(b, dpo_dir).eval()(input_ids=ids).logits
        save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(d, "hf_logits.safetensors"))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["reference", "check"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--tokenizer")
    a = p.parse_args()
    print("oracle", a.mode, "seed", a.seed, json.dumps(versions()), flush=True)
    reference(a) if a.mode == "reference" else check(a)
    print("oracle done", flush=True)


if __name__ == "__main__":
    main()
