// The GPU side-by-side (issue 14): the engine's LoRA training step against HF transformers + PEFT on
// the same torch, at a realistic size: a Llama-3.2-1B-shaped model (random weights), bf16 weights,
// LoRA r16 on q/k/v/o/gate/up/down, batch B × seq 1024, weighted CE, clip 1.0, AdamW. Tokens/s and
// peak GPU memory per process (nvidia-smi's used_memory, polled every 100 ms: both sides include
// their CUDA context). Plain ESM over the addon (runs on a bare GPU machine after
// scripts/device-check.sh built build-cuda/), one JSON line per side plus a summary line.
//
//   node scripts/device-bench.mjs build-cuda/eyemulator.node [--python python3] [--rounds 3] [--batch 4]
//        [--seq 1024] [--steps 5] [--warmup 2] [--cpu-only (a tiny dry run on the CPU)]
import { createRequire } from 'node:module';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (n, d) => { const i = args.indexOf(`--${n}`); return i >= 0 ? args[i + 1] : d; };
const addonPath = args.find((a) => !a.startsWith('--') && a.endsWith('.node'));
if (!addonPath) { console.error('usage: node scripts/device-bench.mjs ADDON.node [--cpu-only] ...'); process.exit(2); }
const CPU = args.includes('--cpu-only');
const here = dirname(fileURLToPath(import.meta.url));
const PY = opt('python', process.env.PYTHON ?? 'python3');
const shape = CPU ? { vocab: 512, hidden: 64, layers: 2, heads: 4, kv: 2, inter: 172 }
  : { vocab: 128256, hidden: 2048, layers: 16, heads: 32, kv: 8, inter: 8192 }; // Llama-3.2-1B
const B = Number(opt('batch', CPU ? 2 : 4)), T = Number(opt('seq', CPU ? 64 : 1024));
const STEPS = Number(opt('steps', CPU ? 2 : 5)), WARM = Number(opt('warmup', CPU ? 1 : 2)), ROUNDS = Number(opt('rounds', CPU ? 1 : 3));
const device = CPU ? 'cpu' : 'cuda';
const dtype = CPU ? 'float32' : 'bfloat16';

function gpuPeak(pid) {  // polls nvidia-smi for this pid's used memory (MiB); returns a stop() → peak
  if (CPU) return () => null;
  let peak = 0;
  const timer = setInterval(() => {
    const r = spawnSync('nvidia-smi', ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits'], { encoding: 'utf8' });
    for (const l of (r.stdout ?? '').split('\n')) { const [p, m] = l.split(',').map((x) => Number(x.trim())); if (p === pid) peak = Math.max(peak, m); }
  }, 100);
  return () => { clearInterval(timer); return peak; };
}

async function engineRound() {
  const addon = createRequire(import.meta.url)(resolve(addonPath));
  const work = mkdtempSync(join(tmpdir(), 'eyemulator-device-bench-'));
  writeFileSync(join(work, 'config.json'), JSON.stringify({
    architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: shape.vocab, hidden_size: shape.hidden, intermediate_size: shape.inter,
    num_hidden_layers: shape.layers, num_attention_heads: shape.heads, num_key_value_heads: shape.kv, max_position_embeddings: Math.max(2048, T),
    hidden_act: 'silu', rms_norm_eps: 1e-5, rope_theta: 500000, tie_word_embeddings: true, torch_dtype: dtype, initializer_range: 0.02,
  }));
  const m = new addon.Model();
  await m.init(join(work, 'config.json'), { seed: 1, device, dtype });
  m.addLora({ r: 16, alpha: 32, dropout: 0.05, seed: 1, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] });
  const tr = new addon.Trainer(m, { lr: 3e-4, weightDecay: 0.01, maxGradNorm: 1.0 });
  const n = B * T;
  const ids = new Int32Array(n).map((_, i) => (i * 7919 + 13) % shape.vocab);
  const batch = { inputIds: ids, labels: ids.slice(), weights: new Float32Array(n).map((_, i) => 1 + (i % 5)), batchSize: B, seqLen: T };
  const stop = gpuPeak(process.pid);
  for (let i = 0; i < WARM; i++) await tr.step(batch);
  const ms = [];
  for (let i = 0; i < STEPS; i++) { const t0 = performance.now(); const r = await tr.step(batch); ms.push(performance.now() - t0); if (!Number.isFinite(r.loss)) throw new Error(`loss ${r.loss}`); }
  const peak = stop();
  tr.dispose(); m.dispose(); rmSync(work, { recursive: true, force: true });
  ms.sort((a, b) => a - b);
  const med = ms[Math.floor(ms.length / 2)];
  return { side: 'eyemulator', stepMs: med, tokensPerS: n / (med / 1000), peakGpuMiB: peak };
}

function peerRound() {
  return new Promise((res) => {
    const a = [join(here, '..', 'bench', 'hf_peer_step.py'), '--vocab', shape.vocab, '--hidden', shape.hidden, '--layers', shape.layers, '--heads', shape.heads,
      '--kv-heads', shape.kv, '--intermediate', shape.inter, '--seq', T, '--batch', B, '--steps', STEPS, '--warmup', WARM, '--lora-rank', 16,
      '--weighted', 1, '--dtype', dtype, '--device', device].map(String);
    const p = spawn(PY, a, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stop = gpuPeak(p.pid);
    let out = '', err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', () => {
      const peak = stop();
      try {
        const j = JSON.parse(out.trim().split('\n').pop());
        res(j.error ? { side: 'hf+peft', error: j.error } : { side: 'hf+peft', stepMs: j.step_ms_median, tokensPerS: j.tokens_per_s, peakGpuMiB: peak,
          torchAllocatorPeakMiB: j.peak_gpu_bytes ? j.peak_gpu_bytes / 2 ** 20 : null, versions: `${j.torch_version} / transformers ${j.transformers_version} / peft ${j.peft_version}`, device: j.device_name });
      } catch { res({ side: 'hf+peft', error: (err || out).trim().split('\n').slice(-3).join(' | ') }); }
    });
  });
}

const rows = [];
for (let r = 0; r < ROUNDS; r++) {
  const pair = r % 2 === 0 ? [await engineRound(), await peerRound()] : [await peerRound(), await engineRound()].reverse();
  for (const x of pair) console.log(JSON.stringify({ round: r + 1, ...x }));
  rows.push(pair);
}
const ok = rows.filter(([e, p]) => !p.error);
const ratios = ok.map(([e, p]) => p.stepMs / e.stepMs).sort((a, b) => a - b);
const med = ratios.length ? ratios[Math.floor(ratios.length / 2)] : null;
console.log(JSON.stringify({ summary: true, size: CPU ? 'tiny (cpu dry run)' : 'Llama-3.2-1B shape, bf16, LoRA r16', batch: B, seq: T, rounds: ROUNDS,
  speedupMedian: med, engineTokensPerS: ok.map(([e]) => Math.round(e.tokensPerS)), peerTokensPerS: ok.map(([, p]) => Math.round(p.tokensPerS)),
  enginePeakGpuMiB: Math.max(...rows.map(([e]) => e.peakGpuMiB ?? 0)), peerPeakGpuMiB: Math.max(...ok.map(([, p]) => p.peakGpuMiB ?? 0)), peerError: rows.find(([, p]) => p.error)?.[1].error ?? null }));
