class Ops(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  def attention(self: __torch__.Ops, q: Tensor, k: Tensor, v: Tensor, bias: Tensor, scale: Tensor) -> Tensor:
    # q (B, nH, T, hd), k/v (B, nKv, Tk, hd), bias (B|1, 1, 1, T, Tk) additive, scale 0-d.
    # GQA: k/v heads repeated here, since enable_gqa=True takes the slow math path on CPU and
    # repeat_interleave keeps the flash kernel; query head h reads kv head h // groups.
    groups = q.size(1) // k.size(1)
    if groups > 1:
      k = torch.repeat_interleave(k, groups, 1)
      v = torch.repeat_interleave(v, groups, 1)
    mask = torch.squeeze(bias, 1)
    return torch.scaled_dot_product_attention(q, k, v, mask, 0., False, scale=float(scale))
  def attention_unmasked(self: __torch__.Ops, q: Tensor, k: Tensor, v: Tensor, scale: Tensor) -> Tensor:
    # attention without a mask, where every query sees every key: a decode step without padding.
    # One query a head: the query heads of a key head are stacked as rows of one matmul, so k/v
    # are neither repeated nor copied (SDPA with repeated k/v cost 2.5x this at T = 1, most of it
    # the copies); longer queries take SDPA.
    b = q.size(0)
    h = q.size(1)
    t = q.size(2)
    d = q.size(3)
    kv = k.size(1)
    if t == 1:
      qg = torch.reshape(q, [b, kv, h // kv, d])
      s = torch.mul(torch.matmul(qg, torch.transpose(k, 2, 3)), scale)
      y = torch.matmul(torch.softmax(s, -1), v)
      return torch.reshape(y, [b, h, 1, d])
    groups = h // kv
    if groups > 1:
      k = torch.repeat_interleave(k, groups, 1)
      v = torch.repeat_interleave(v, groups, 1)
    return torch.scaled_dot_product_attention(q, k, v, None, 0., False, scale=float(scale))
  def adamw(self: __torch__.Ops, params: List[Tensor], grads: List[Tensor], exp_avgs: List[Tensor], exp_avg_sqs: List[Tensor], step: float, lr: float, beta1: float, beta2: float, weight_decay: float, eps: float) -> int:
    # torch.optim.AdamW(fused=True)'s update over the whole list, in place; the step count is the
    # one after this update (torch increments state_steps before calling the kernel)
    n = len(params)
    if n == 0:
      return 0
    at = torch.full(annotate(List[int], []), step, dtype=6, device=params[0].device)
    steps = annotate(List[Tensor], [])
    for i in range(n):
      steps.append(at)
    torch._fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, annotate(List[Tensor], []), steps, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=False)
    return n
  def unscale_grads(self: __torch__.Ops, grads: List[Tensor], inv_scale: float) -> bool:
    # GradScaler.unscale_'s kernel: every gradient times inv_scale in place, and whether all are
    # finite, in one call over the list instead of four ops a tensor
    if len(grads) == 0:
      return True
    found_inf = torch.zeros([1], dtype=6, device=grads[0].device)
    inv = torch.full([1], inv_scale, dtype=6, device=grads[0].device)
    torch._amp_foreach_non_finite_check_and_unscale_(grads, found_inf, inv)
    return bool(torch.eq(found_inf, 0.0).all())
  def requires_grad(self: __torch__.Ops, q: Tensor, k: Tensor, v: Tensor) -> bool:
    return q.requires_grad or k.requires_grad or v.requires_grad
  def copy_from_bytes(self: __torch__.Ops, dst: Tensor, raw: Tensor, dtype: int) -> Tensor:
    # dst (n) float32, a slice of a loading tensor; raw (n * size) uint8, the little-endian bytes
    # of n values of dtype (15 bfloat16, 5 float16, 6 float32), reinterpreted then widened.
    # view_copy, not view: TorchScript resolves x.view(dtype) to view(size) and fails.
    return torch.copy_(dst, torch.view_copy(raw, dtype=dtype))
  def empty_bf16(self: __torch__.Ops, size: Tensor) -> Tensor:
    # an unfilled (size[0]) bfloat16 tensor on size's device: the storage a frozen bf16 weight
    # loads into. Called outside InferenceMode: an inference tensor cannot be saved for backward.
    return torch.empty([int(size[0])], dtype=15, device=size.device)
  def linear_bf16(self: __torch__.Ops, x: Tensor, w: Tensor) -> Tensor:
    # x (..., in) float32, w (out, in) bfloat16 -> (..., out) float32: the matmul in bf16 (the
    # CPU's avx512_bf16 GEMM, tensor cores on CUDA) with float32 accumulation inside the kernel;
    # differentiable in x, so LoRA's gradient flows back through a frozen bf16 base. A float32 w
    # (bf16: true, autocast's way) is rounded here per call and its gradient arrives in float32
    return torch.linear(torch.to(x, 15), torch.to(w, 15)).float()
  def embedding_bf16(self: __torch__.Ops, w: Tensor, ids: Tensor) -> Tensor:
    # w (V, C) bfloat16, ids (B, T) int64 -> (B, T, C) float32 rows
    return torch.embedding(w, ids).float()
  def copy_into(self: __torch__.Ops, dst: Tensor, src: Tensor) -> Tensor:
    # dst.copy_(src), converting src's dtype to dst's (float32 -> bf16: round to nearest even)
    return torch.copy_(dst, src)
  def to_float32(self: __torch__.Ops, x: Tensor) -> Tensor:
    return x.float()
  def element_size(self: __torch__.Ops, x: Tensor) -> int:
    return x.element_size()
  def rms_norm(self: __torch__.Ops, x: Tensor, w: Tensor, eps: Tensor) -> Tensor:
    # transformers' Qwen2RMSNorm in float32: w * (x * rsqrt(mean(x^2) + eps)); one call instead of
    # six Java ops, which at a decode step cost more than their arithmetic
    return torch.mul(w, torch.mul(x, torch.rsqrt(torch.add(torch.mean(torch.pow(x, 2), [-1], True), eps))))
  def rope(self: __torch__.Ops, x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    # x (B, h, T, hd), cos/sin (B|1, 1, T, rd): x*cos + rotate_half(x)*sin on the first rd dims
    # (Phi-3's partial rotation passes the rest through), rotate_half(x) = cat(-x2, x1)
    rd = cos.size(3)
    hd = x.size(3)
    xr = x
    if rd < hd:
      xr = torch.narrow(x, 3, 0, rd)
    half = rd // 2
    x1 = torch.narrow(xr, 3, 0, half)
    x2 = torch.narrow(xr, 3, half, rd - half)
    y = torch.add(torch.mul(xr, cos), torch.mul(torch.cat([torch.neg(x2), x1], 3), sin))
    if rd < hd:
      y = torch.cat([y, torch.narrow(x, 3, rd, hd - rd)], 3)
    return y
  def swiglu(self: __torch__.Ops, gate: Tensor, up: Tensor) -> Tensor:
    # silu(gate) * up, transformers' LlamaMLP activation (ACT2FN["silu"] = nn.SiLU)
    return torch.mul(torch.silu(gate), up)
  def linear_any(self: __torch__.Ops, x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    # the decoder's linear: x·wᵀ (+ b where b has elements); a bf16 w (frozen weights) multiplies
    # in bf16 as linear_bf16 does, its bias added in float32 afterwards, as the Java path does
    if int(w.dtype) == 15:
      y = (self).linear_bf16(x, w)
      if torch.numel(b) > 0:
        y = torch.add(y, b)
      return y
    if torch.numel(b) > 0:
      return torch.linear(x, w, b)
    return torch.linear(x, w)
  def decode(self: __torch__.Ops, x: Tensor, ws: List[Tensor], caches: List[Tensor], cos: Tensor, sin: Tensor, bias: Tensor, pos: int, eps: Tensor, scale: Tensor, n_heads: int, n_kv: int, head_dim: int) -> Tensor:
    # Every layer of one decode step of a Llama-style decoder (Qwen2/3, Llama, Mistral) in one
    # call, the same ops in the same order as Decoder.layer's Java path, which otherwise crosses
    # JNI ~25 times a layer. x (B, 1, C) float32; ws: 18 a layer, [input_layernorm,
    # post_attention_layernorm, q_norm, k_norm, then (weight, bias) of q, k, v, o, gate, up, down],
    # an empty tensor where a model has none; caches: (B, nKv, capacity, hd) keys and values a
    # layer, [k0, v0, k1, v1, ...], filled up to pos (this step writes position pos); cos/sin
    # (B|1, 1, 1, hd); bias (B, 1, 1, 1, pos + 1) additive (left-padded rows), or empty where
    # every row sees every key. Returns the last layer's (B, 1, C).
    b = x.size(0)
    hq = n_heads * head_dim
    for i in range(len(caches) // 2):
      o = i * 18
      h = (self).rms_norm(x, ws[o], eps)
      q = torch.transpose(torch.reshape((self).linear_any(h, ws[o + 4], ws[o + 5]), [b, 1, n_heads, head_dim]), 1, 2)
      k = torch.transpose(torch.reshape((self).linear_any(h, ws[o + 6], ws[o + 7]), [b, 1, n_kv, head_dim]), 1, 2)
      v = torch.transpose(torch.reshape((self).linear_any(h, ws[o + 8], ws[o + 9]), [b, 1, n_kv, head_dim]), 1, 2)
      if torch.numel(ws[o + 2]) > 0:
        q = (self).rms_norm(q, ws[o + 2], eps)
        k = (self).rms_norm(k, ws[o + 3], eps)
      q = (self).rope(q, cos, sin)
      k = (self).rope(k, cos, sin)
      kc = caches[2 * i]
      vc = caches[2 * i + 1]
      torch.copy_(torch.narrow(kc, 2, pos, 1), k)
      torch.copy_(torch.narrow(vc, 2, pos, 1), v)
      if torch.numel(bias) > 0:
        y = (self).attention(q, torch.narrow(kc, 2, 0, pos + 1), torch.narrow(vc, 2, 0, pos + 1), bias, scale)
      else:
        y = (self).attention_unmasked(q, torch.narrow(kc, 2, 0, pos + 1), torch.narrow(vc, 2, 0, pos + 1), scale)
      y = torch.reshape(torch.transpose(y, 1, 2), [b, 1, hq])
      x = torch.add(x, (self).linear_any(y, ws[o + 10], ws[o + 11]))
      h = (self).rms_norm(x, ws[o + 1], eps)
      g = (self).linear_any(h, ws[o + 12], ws[o + 13])
      u = (self).linear_any(h, ws[o + 14], ws[o + 15])
      x = torch.add(x, (self).linear_any((self).swiglu(g, u), ws[o + 16], ws[o + 17]))
    return x
