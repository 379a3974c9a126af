#!/usr/bin/python3
"""Python peer for `npm run bench`: the engine's training step written as plain PyTorch eager.

Same architecture as HF LlamaForCausalLM (written by hand; transformers is not needed): token
embedding, per layer RMSNorm -> attention (q/k/v/o nn.Linear without bias, RoPE, explicit
softmax(QK^T/sqrt(d) + additive causal mask) V, in float32) -> residual -> RMSNorm -> SwiGLU MLP ->
residual, final RMSNorm, untied lm_head. Loss = sum(w * CE) / N over label positions
(CE with reduction='none'; logits at t predict labels[t+1], weighted by weights[t+1]).
One optimizer step = zero_grad -> forward -> loss -> backward -> clip_grad_norm_(1.0) ->
torch.optim.AdamW.step() -> loss.item(), the same sequence as the engine's Trainer::step.

    /usr/bin/python3 bench/peer_step.py --vocab 8192 --hidden 512 --layers 4 --heads 8 \
        --kv-heads 8 --intermediate 1376 --seq 256 --batch 8 --steps 10 --warmup 2 \
        --threads 2 --weighted 0 [--profile 1] [--foreach 0|1] [--seed 0]

Prints one JSON line: {tokens_per_s, step_ms_median, step_ms_all, torch_version, threads, ...}.
--profile 1 adds per-phase medians (forward / loss / backward / clip / optimizer, ms); the phase
timers are plain wall-clock stamps (CPU execution is synchronous, so no sync is needed).
Set OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / OMP_WAIT_POLICY in the environment *before* starting: OpenBLAS reads
them when the library loads (the bench driver gives the peer the same env as the engine).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--vocab', type=int, default=8192)
    p.add_argument('--hidden', type=int, default=512)
    p.add_argument('--layers', type=int, default=4)
    p.add_argument('--heads', type=int, default=8)
    p.add_argument('--kv-heads', type=int, default=None)
    p.add_argument('--intermediate', type=int, default=1376)
    p.add_argument('--seq', type=int, default=256)
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--steps', type=int, default=10, help='timed optimizer steps')
    p.add_argument('--warmup', type=int, default=2, help='untimed optimizer steps first')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--weighted', type=int, default=0, help='1 = random token weights in [1,5]')
    p.add_argument('--profile', type=int, default=0, help='1 = per-phase timings')
    p.add_argument('--foreach', type=int, default=-1, help='AdamW foreach: -1 = torch default, 0, 1')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--lr', type=float, default=3e-4)
    return p.parse_args()


def main():
    a = parse_args()
    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except ImportError as e:  # the driver turns this into a clear message
        print(json.dumps({'error': f'torch is not importable from {sys.executable}: {e}. '
                                   'Install Debian python3-torch (apt-get install python3-torch).'}))
        sys.exit(3)

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    kv_heads = a.kv_heads or a.heads
    head_dim = a.hidden // a.heads
    eps = 1e-6
    theta = 10000.0

    class RMSNorm(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(dim))

        def forward(self, x):
            h = x.float()
            h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
            return self.weight * h.to(x.dtype)

    def rotate_half(x):
        h = x.shape[-1] // 2
        return torch.cat((-x[..., h:], x[..., :h]), dim=-1)

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.q_proj = nn.Linear(a.hidden, a.heads * head_dim, bias=False)
            self.k_proj = nn.Linear(a.hidden, kv_heads * head_dim, bias=False)
            self.v_proj = nn.Linear(a.hidden, kv_heads * head_dim, bias=False)
            self.o_proj = nn.Linear(a.heads * head_dim, a.hidden, bias=False)

        def forward(self, x, cos, sin, mask):
            B, T, _ = x.shape
            q = self.q_proj(x).view(B, T, a.heads, head_dim).transpose(1, 2)
            k = self.k_proj(x).view(B, T, kv_heads, head_dim).transpose(1, 2)
            v = self.v_proj(x).view(B, T, kv_heads, head_dim).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            rep = a.heads // kv_heads
            if rep > 1:  # HF repeat_kv
                k = k[:, :, None].expand(B, kv_heads, rep, T, head_dim).reshape(B, a.heads, T, head_dim)
                v = v[:, :, None].expand(B, kv_heads, rep, T, head_dim).reshape(B, a.heads, T, head_dim)
            scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(head_dim) + mask
            probs = F.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
            out = torch.matmul(probs, v)
            return self.o_proj(out.transpose(1, 2).reshape(B, T, a.heads * head_dim))

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.gate_proj = nn.Linear(a.hidden, a.intermediate, bias=False)
            self.up_proj = nn.Linear(a.hidden, a.intermediate, bias=False)
            self.down_proj = nn.Linear(a.intermediate, a.hidden, bias=False)

        def forward(self, x):
            return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.self_attn = Attention()
            self.mlp = MLP()
            self.input_layernorm = RMSNorm(a.hidden)
            self.post_attention_layernorm = RMSNorm(a.hidden)

        def forward(self, h, cos, sin, mask):
            x = h + self.self_attn(self.input_layernorm(h), cos, sin, mask)
            return x + self.mlp(self.post_attention_layernorm(x))

    class Llama(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed_tokens = nn.Embedding(a.vocab, a.hidden)
            self.layers = nn.ModuleList([Layer() for _ in range(a.layers)])
            self.norm = RMSNorm(a.hidden)
            self.lm_head = nn.Linear(a.hidden, a.vocab, bias=False)
            inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).double() / head_dim))
            self.register_buffer('inv_freq', inv.float(), persistent=False)
            for n, p in self.named_parameters():  # HF init: N(0, 0.02), norms 1
                if 'norm' not in n:
                    nn.init.normal_(p, 0.0, 0.02)

        def forward(self, ids):
            B, T = ids.shape
            h = self.embed_tokens(ids)
            # Built once per forward and shared by all layers, as the engine and HF do.
            pos = torch.arange(T).unsqueeze(0).expand(B, T).float()
            freqs = pos.unsqueeze(-1) * self.inv_freq
            emb = torch.cat((freqs, freqs), dim=-1).unsqueeze(1)
            cos, sin = emb.cos().to(h.dtype), emb.sin().to(h.dtype)
            blocked = torch.ones(T, T, dtype=torch.bool).triu(1).view(1, 1, T, T)
            mask = torch.zeros(blocked.shape, dtype=h.dtype).masked_fill(blocked, torch.finfo(h.dtype).min)
            for layer in self.layers:
                h = layer(h, cos, sin, mask)
            return self.lm_head(self.norm(h))

    model = Llama()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    kw = {} if a.foreach < 0 else {'foreach': bool(a.foreach)}
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.01}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=a.lr, betas=(0.9, 0.999), eps=1e-8, **kw)

    g = torch.Generator().manual_seed(a.seed + 1)
    B, T = a.batch, a.seq
    ids = torch.randint(0, a.vocab, (B, T), generator=g)
    labels = ids.clone()
    weights = (1 + 4 * torch.rand(B, T, generator=g)) if a.weighted else None
    target = labels[:, 1:].reshape(-1)
    w_flat = weights[:, 1:].reshape(-1) if weights is not None else None

    phases = {k: [] for k in ('forward', 'loss', 'backward', 'clip', 'optimizer')}
    step_ms = []
    losses = []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits = model(ids)
        t1 = time.perf_counter()
        ce = F.cross_entropy(logits[:, :-1].reshape(-1, a.vocab).float(), target, reduction='none', ignore_index=-100)
        active = (target != -100).to(ce.dtype)
        w = active if w_flat is None else w_flat * active
        n = active.sum()
        loss = (ce * w).sum() / n.clamp_min(1)
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        t4 = time.perf_counter()
        opt.step()
        lv = loss.item()
        t5 = time.perf_counter()
        if i >= a.warmup:
            step_ms.append((t5 - t0) * 1e3)
            for k, d in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
                phases[k].append(d * 1e3)
        losses.append(lv)

    med = statistics.median(step_ms)
    out = {
        'tokens_per_s': B * T / (med / 1e3),
        'step_ms_median': med,
        'step_ms_all': [round(x, 2) for x in step_ms],
        'torch_version': torch.__version__,
        'threads': torch.get_num_threads(),
        'openblas_num_threads': os.environ.get('OPENBLAS_NUM_THREADS'),
        'omp_num_threads': os.environ.get('OMP_NUM_THREADS'),
        'omp_wait_policy': os.environ.get('OMP_WAIT_POLICY'),
        'parameters': sum(p.numel() for p in model.parameters()),
        'adamw_foreach': kw.get('foreach', None),
        'first_loss': losses[0],
        'last_loss': losses[-1],
    }
    if a.profile:
        out['phases_ms_median'] = {k: round(statistics.median(v), 2) for k, v in phases.items()}
    print(json.dumps(out), flush=True)


if __name__ == '__main__':
    main()
