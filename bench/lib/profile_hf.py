"""Operator profile of the HF transformers (+PEFT) training step that bench/hf_peer_step.py times,
with torch.profiler, printed in the same layout as bench/lib/profile_step.sh prints the engine's:
operators by self time per step. Same positional args: V H L heads I T B steps threads lora_r.

    .venv/bin/python bench/lib/profile_hf.py 2000 128 2 4 352 288 16 3 2 0
"""
import os
import sys
import time

import torch
import torch.nn.functional as F


def main():
    d = [2000, 128, 2, 4, 0, 288, 16, 3, 2, 0]
    a = [int(x) for x in sys.argv[1:]] + d[len(sys.argv) - 1:]
    V, H, L, NH, I, T, B, steps, threads, rank = a[:10]
    I = I or (H * 11008 // 4096 + 7) // 8 * 8
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = LlamaConfig(vocab_size=V, hidden_size=H, intermediate_size=I, num_hidden_layers=L, num_attention_heads=NH,
                      num_key_value_heads=NH, max_position_embeddings=2048, rms_norm_eps=1e-6, tie_word_embeddings=False)
    m = LlamaForCausalLM._from_config(cfg, attn_implementation='sdpa', dtype=torch.float32)
    m.train()
    if rank > 0:
        import peft
        m = peft.get_peft_model(m, peft.LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0, task_type='CAUSAL_LM',
                                                   target_modules=['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']))
    params = [p for p in m.parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{'params': [p for p in params if p.dim() >= 2], 'weight_decay': 0.01},
                             {'params': [p for p in params if p.dim() < 2], 'weight_decay': 0.0}], lr=3e-4)
    ids = torch.randint(0, V, (B, T))
    tgt = ids[:, 1:].reshape(-1)
    w = (1 + 4 * torch.rand(B, T))[:, 1:].reshape(-1)

    def step():
        opt.zero_grad(set_to_none=True)
        lg = m(input_ids=ids).logits
        ce = F.cross_entropy(lg[:, :-1].reshape(-1, V).float(), tgt, reduction='none')
        loss = (ce * w).sum() / tgt.numel()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        loss.item()

    for _ in range(2):
        step()
    wall = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        wall.append((time.perf_counter() - t0) * 1e3)
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as p:
        for _ in range(steps):
            step()
    rows = sorted(p.key_averages(), key=lambda e: -e.self_cpu_time_total)
    total = sum(e.self_cpu_time_total for e in rows)
    print(f'HF transformers step{" + PEFT LoRA r" + str(rank) if rank else ""}, V{V} H{H} L{L} I{I} B{B} T{T}, '
          f'{threads} threads, torch {torch.__version__}')
    print(f'wall per step (unprofiled, median of {steps}): {sorted(wall)[len(wall) // 2]:.1f} ms; '
          f'profiled self time per step: {total / 1e3 / steps:.1f} ms')
    print(f'{"operator":58s} {"ms/step":>10s} {"share":>7s} {"calls":>8s}')
    for e in rows[:35]:
        print(f'{e.key[:58]:58s} {e.self_cpu_time_total / 1e3 / steps:10.2f} {100 * e.self_cpu_time_total / total:6.1f}% '
              f'{e.count / steps:8.1f}')


if __name__ == '__main__':
    os.environ.setdefault('OMP_NUM_THREADS', '2')
    main()
