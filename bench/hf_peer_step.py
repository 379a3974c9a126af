"""HF peer for `npm run bench` (bench/hf-peer.bench.ts): the training step a lab would run instead
of eyemulator — Hugging Face transformers' LlamaForCausalLM (attn_implementation="sdpa", its
default), PEFT LoRA for --lora-rank > 0, on the same torch build the engine links.

One optimizer step = zero_grad -> model(input_ids).logits -> weighted CE (CE with reduction='none'
at label positions, times the token weights, summed, / N; logits at t predict labels[t+1]) ->
backward -> clip_grad_norm_(1.0) -> torch.optim.AdamW.step() (torch's default implementation for
CPU tensors; lr 3e-4, weight decay 0.01 on >= 2-D parameters) -> loss.item(): the same sequence as
the engine's Trainer::step. LoRA: r, alpha = 2r, dropout 0.05, targets q/k/v/o/gate/up/down (the
engine's defaults), base weights frozen.

    .venv/bin/python bench/hf_peer_step.py --vocab 8192 --hidden 512 --layers 4 --heads 8 \
        --kv-heads 8 --intermediate 1376 --seq 256 --batch 8 --steps 4 --warmup 1 --threads 2 \
        --lora-rank 16 --weighted 1

Prints one JSON line: {tokens_per_s, step_ms_median, step_ms_all, torch_version,
transformers_version, peft_version, ...} or {"error": ...} when transformers/peft are missing.
Set OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / OMP_WAIT_POLICY before starting (the driver does).
"""
import argparse
import json
import os
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for k, d in (('vocab', 8192), ('hidden', 512), ('layers', 4), ('heads', 8), ('kv-heads', 0), ('intermediate', 1376),
                 ('seq', 256), ('batch', 8), ('steps', 4), ('warmup', 1), ('threads', 2), ('weighted', 1),
                 ('lora-rank', 0), ('seed', 0)):
        p.add_argument(f'--{k}', type=int, default=d)
    p.add_argument('--lr', type=float, default=3e-4)
    p.add_argument('--dtype', default='float32', choices=['float32', 'bfloat16'])
    p.add_argument('--device', default='cpu')
    return p.parse_args()


def main():
    a = parse_args()
    try:
        import torch
        import torch.nn.functional as F
        import transformers
        from transformers import LlamaConfig, LlamaForCausalLM
        import peft
    except ImportError as e:
        print(json.dumps({'error': f'transformers/peft not importable from {sys.executable}: {e}'}), flush=True)
        return
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    dtype = getattr(torch, a.dtype)
    dev = torch.device(a.device)
    cfg = LlamaConfig(vocab_size=a.vocab, hidden_size=a.hidden, intermediate_size=a.intermediate,
                      num_hidden_layers=a.layers, num_attention_heads=a.heads,
                      num_key_value_heads=a.kv_heads or a.heads, max_position_embeddings=max(2048, a.seq),
                      rms_norm_eps=1e-6, tie_word_embeddings=False, attention_dropout=0.0)
    model = LlamaForCausalLM._from_config(cfg, attn_implementation='sdpa', dtype=dtype).to(dev)
    model.train()
    if a.lora_rank > 0:
        lc = peft.LoraConfig(r=a.lora_rank, lora_alpha=2 * a.lora_rank, lora_dropout=0.05, bias='none',
                             target_modules=['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
                             task_type='CAUSAL_LM')
        model = peft.get_peft_model(model, lc)
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [{'params': decay, 'weight_decay': 0.01}] + ([{'params': no_decay, 'weight_decay': 0.0}] if no_decay else [])
    opt = torch.optim.AdamW(groups, lr=a.lr, betas=(0.9, 0.999), eps=1e-8)

    g = torch.Generator().manual_seed(a.seed + 1)
    B, T = a.batch, a.seq
    ids = torch.randint(0, a.vocab, (B, T), generator=g).to(dev)
    target = ids[:, 1:].reshape(-1)
    w = ((1 + 4 * torch.rand(B, T, generator=g)) if a.weighted else torch.ones(B, T))[:, 1:].reshape(-1).to(dev)

    step_ms, losses = [], []
    sync = (lambda: torch.cuda.synchronize()) if dev.type == 'cuda' else (lambda: None)
    if dev.type == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    for i in range(a.warmup + a.steps):
        sync()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        logits = model(input_ids=ids).logits
        ce = F.cross_entropy(logits[:, :-1].reshape(-1, a.vocab).float(), target, reduction='none')
        loss = (ce * w).sum() / target.numel()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        lv = loss.item()
        t1 = time.perf_counter()
        if i >= a.warmup:
            step_ms.append((t1 - t0) * 1e3)
        losses.append(lv)
    med = statistics.median(step_ms)
    out = {
        'peer': 'hf-transformers' + ('+peft' if a.lora_rank > 0 else ''),
        'tokens_per_s': B * T / (med / 1e3),
        'step_ms_median': med,
        'step_ms_all': [round(x, 2) for x in step_ms],
        'torch_version': torch.__version__,
        'transformers_version': transformers.__version__,
        'peft_version': peft.__version__,
        'threads': torch.get_num_threads(),
        'trainable_parameters': sum(p.numel() for p in params),
        'parameters': sum(p.numel() for p in model.parameters()),
        'first_loss': losses[0],
        'last_loss': losses[-1],
        'openblas_num_threads': os.environ.get('OPENBLAS_NUM_THREADS'),
        'omp_num_threads': os.environ.get('OMP_NUM_THREADS'),
    }
    if dev.type == 'cuda':
        out['peak_gpu_bytes'] = torch.cuda.max_memory_allocated()
        out['device_name'] = torch.cuda.get_device_name(dev)
    print(json.dumps(out), flush=True)


if __name__ == '__main__':
    main()
