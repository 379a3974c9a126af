/**
 * Memory that fits large models (issue 13): a checkpoint keeps its dtype by default, LoRA adapters
 * and AdamW moments stay float32 on a bf16 base, full fine-tuning of a bf16 model keeps float32
 * master weights (resumes bit-exactly), and activation checkpointing leaves gradients unchanged
 * while lowering a step's peak memory. The peak-RSS figure of load + LoRA + one step on a
 * ≥ 100 MB bf16 checkpoint is measured by bench/memory.bench.ts.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Model } from '../../src/model/model.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { makeHfConfig } from '../../src/model/config.ts';
import { randomBatch, tempDir, tinyModel, TINY, PLAIN_TRAINER_OPTIONS } from '../helpers/tiny-model.ts';

/** Raw safetensors header (parsed independently of the engine). */
function header(path: string): Record<string, any> {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  return JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
}

/** A bf16 checkpoint folder of TINY (weights from seed `seed`). */
async function bf16Dir(seed = 3): Promise<string> {
  const src = tempDir();
  const m = await Model.create(src, TINY, { seed });
  const dir = tempDir();
  await m.save(dir, { dtype: 'bfloat16' });
  m.dispose();
  return dir;
}

function editConfig(dir: string, edit: (c: Record<string, unknown>) => void): void {
  const p = join(dir, 'config.json');
  const c = JSON.parse(readFileSync(p, 'utf8'));
  edit(c);
  writeFileSync(p, JSON.stringify(c, null, 2));
}

test('a bf16 checkpoint loads as bf16 by default; an explicit dtype wins; config dtype (v5) or torch_dtype (v4), else the weights', async (t) => {
  const dir = await bf16Dir();
  const m = await Model.load(dir);
  t.is(m.info().dtype, 'bfloat16');
  const b = randomBatch(TINY.vocabSize);
  t.true(Number.isFinite((await m.forward(b)).loss));
  const f = await Model.load(dir, { dtype: 'float32' });
  t.is(f.info().dtype, 'float32');
  // no dtype in config.json: the first weight's safetensors dtype
  editConfig(dir, (c) => { delete c.torch_dtype; delete c.dtype; });
  const w = await Model.load(dir);
  t.is(w.info().dtype, 'bfloat16');
  // the config's dtype wins over the weights': transformers v5's "dtype", v4's "torch_dtype"
  editConfig(dir, (c) => { c.dtype = 'float32'; });
  const v5 = await Model.load(dir);
  t.is(v5.info().dtype, 'float32');
  editConfig(dir, (c) => { delete c.dtype; c.torch_dtype = 'float32'; });
  const v4 = await Model.load(dir);
  t.is(v4.info().dtype, 'float32');
  for (const x of [m, f, w, v5, v4]) x.dispose();
});

test('LoRA on a bf16 base: base stays bf16 and frozen, adapters and AdamW moments are float32', async (t) => {
  const dir = await bf16Dir();
  const m = await Model.load(dir);
  m.addLora({ r: 4, alpha: 8, dropout: 0.1, seed: 5 });
  const tr = new Trainer(m, { ...PLAIN_TRAINER_OPTIONS, lr: 1e-3 });
  const r = await tr.step(randomBatch(TINY.vocabSize));
  t.true(Number.isFinite(r.loss) && r.gradNorm > 0);
  t.is(m.info().dtype, 'bfloat16');
  t.false(m.info().tensors.some((x) => x.trainable));
  const state = join(tempDir(), 'state.safetensors');
  await tr.saveState(state);
  const h = header(state);
  const keys = Object.keys(h).filter((k) => k !== '__metadata__' && !k.startsWith('rng.'));
  t.true(keys.length > 0);
  for (const k of keys) t.is(h[k].dtype, 'F32', k);
  t.true(keys.some((k) => k.startsWith('exp_avg_sq.') && k.endsWith('lora_B.weight')));
  m.dispose();
});

/** Every base parameter of a model, as float32 values. */
function params(m: Model): Map<string, Float32Array | Float64Array> {
  return new Map(m.info().tensors.map((x) => [x.name, m.getParameter(x.name).data]));
}

test('full fine-tuning of a bf16 model: float32 master weights in the trainer state; the model holds their rounding; resume is bit-exact', async (t) => {
  const dir = await bf16Dir(8);
  const opts = { ...PLAIN_TRAINER_OPTIONS, lr: 2e-3, weightDecay: 0.01, warmupSteps: 1, totalSteps: 6, schedule: 'cosine' as const };
  const batch = (s: number) => randomBatch(TINY.vocabSize, 2, 9, 100 + s);
  const a = await Model.load(dir);
  const ta = new Trainer(a, opts);
  for (let s = 0; s < 3; s++) await ta.step(batch(s));
  const state = join(tempDir(), 'state.safetensors');
  await ta.saveState(state);
  const h = header(state);
  t.is(h['param.model.layers.0.mlp.up_proj.weight'].dtype, 'F32');
  t.is(h['exp_avg.model.layers.0.mlp.up_proj.weight'].dtype, 'F32');
  t.is(a.info().dtype, 'bfloat16');
  // the master is float32: it differs from its bf16 rounding (which the model holds)
  const st = (await import('../../src/native/index.ts')).native().readSafetensors(state);
  const master = st.tensors['param.model.layers.0.mlp.up_proj.weight'].data as Float32Array;
  const held = a.getParameter('model.layers.0.mlp.up_proj.weight').data;
  let differs = 0;
  const bf16 = (x: number) => { const u = new Uint32Array(new Float32Array([x]).buffer)[0]; const r = (u + 0x7fff + ((u >> 16) & 1)) & 0xffff0000; return new Float32Array(new Uint32Array([r]).buffer)[0]; };
  for (let i = 0; i < master.length; i++) {
    if (master[i] !== held[i]) differs++;
    t.is(bf16(master[i]), held[i]);
  }
  t.true(differs > master.length / 2, `${differs} of ${master.length} masters differ from their rounding`);
  for (let s = 3; s < 6; s++) await ta.step(batch(s));
  // resume: a fresh model from the same checkpoint + the saved state, same 3 remaining steps
  const b = await Model.load(dir);
  const tb = new Trainer(b, opts);
  await tb.loadState(state);
  for (let s = 3; s < 6; s++) await tb.step(batch(s));
  const pa = params(a), pb = params(b);
  for (const [k, v] of pa) t.true(Buffer.from(v.buffer).equals(Buffer.from(pb.get(k)!.buffer)), `${k} differs after resume`);
  a.dispose(); b.dispose();
});

test('activation checkpointing gives the same gradients (float64, full fine-tuning, forward with grads)', async (t) => {
  const { model: plain } = await tinyModel(TINY, { seed: 4, dtype: 'float64' });
  const { model: ckpt } = await tinyModel(TINY, { seed: 4, dtype: 'float64' });
  const tr = new Trainer(ckpt, { ...PLAIN_TRAINER_OPTIONS, lr: 1e-3, gradientCheckpointing: true }); // turns the model's flag on
  const b = randomBatch(TINY.vocabSize);
  const g0 = (await plain.forward(b, { grads: true })).grads!;
  const g1 = (await ckpt.forward(b, { grads: true })).grads!;
  t.deepEqual(Object.keys(g1).sort(), Object.keys(g0).sort());
  let maxAbs = 0;
  for (const k of Object.keys(g0)) {
    const x = g0[k].data, y = g1[k].data;
    for (let i = 0; i < x.length; i++) maxAbs = Math.max(maxAbs, Math.abs(x[i] - y[i]));
  }
  t.true(maxAbs < 1e-14, `max |Δgrad| ${maxAbs}`);
  tr.dispose(); plain.dispose(); ckpt.dispose();
});

test('activation checkpointing with LoRA dropout > 0 replays the dropout masks: the same training trajectory (float64)', async (t) => {
  const run = async (on: boolean) => {
    const { model } = await tinyModel(TINY, { seed: 4, dtype: 'float64' });
    model.addLora({ r: 4, alpha: 8, dropout: 0.3, seed: 9, targetModules: ['q_proj', 'v_proj', 'down_proj'] });
    const tr = new Trainer(model, { ...PLAIN_TRAINER_OPTIONS, lr: 5e-3, gradientCheckpointing: on, maxGradNorm: 0 });
    const out: number[] = [];
    for (let s = 0; s < 4; s++) {
      const r = await tr.step(randomBatch(TINY.vocabSize, 2, 9, 40 + s));
      out.push(r.loss, r.gradNorm);
    }
    const a = model.getParameter('base_model.model.model.layers.1.mlp.down_proj.lora_A.weight').data;
    model.dispose();
    return { out, a };
  };
  const off = await run(false), on = await run(true);
  for (let i = 0; i < off.out.length; i++) t.true(Math.abs(off.out[i] - on.out[i]) <= 1e-12 * Math.abs(off.out[i]), `${i}: ${off.out[i]} vs ${on.out[i]}`);
  let maxAbs = 0;
  for (let i = 0; i < off.a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(off.a[i] - on.a[i]));
  t.true(maxAbs < 1e-13, `adapter differs by ${maxAbs}`);
});

test('activation checkpointing under bf16 autocast recomputes under autocast too: the same steps', async (t) => {
  const run = async (on: boolean) => {
    const { model } = await tinyModel(TINY, { seed: 6 });
    const tr = new Trainer(model, { ...PLAIN_TRAINER_OPTIONS, lr: 1e-3, bf16Autocast: true, gradientCheckpointing: on });
    const out: number[] = [];
    for (let s = 0; s < 2; s++) {
      const r = await tr.step(randomBatch(TINY.vocabSize, 2, 9, 70 + s));
      out.push(r.loss, r.gradNorm);
    }
    model.dispose();
    return out;
  };
  const off = await run(false), on = await run(true);
  // a recomputation without autocast would change the gradients at the bf16 rounding level (~1e-3)
  for (let i = 0; i < off.length; i++) t.true(Math.abs(off[i] - on[i]) <= 1e-6 * Math.abs(off[i]), `${i}: ${off[i]} vs ${on[i]}`);
});

function peakRun(configPath: string, on: boolean, B: number, T: number): Promise<{ hwmBytes: number; rssBeforeStepBytes: number; loss: number }> {
  const script = join(import.meta.dirname, '..', 'fixtures', 'peak-memory-run.ts');
  return new Promise((resolve, reject) => {
    // LoRA: the base's gradients and AdamW moments (which grow with the layers too) stay out of the figure.
    const p = spawn(process.execPath, ['--import', 'tsx', script, configPath, on ? 'on' : 'off', String(B), String(T), '--lora'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
    });
    let out = '', err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(err))));
  });
}

test('activation checkpointing lowers the peak memory of a training step', async (t) => {
  const dir = tempDir();
  const configPath = join(dir, 'config.json');
  const shape = { arch: 'llama' as const, vocabSize: 64, hiddenSize: 128, layers: 16, heads: 4, intermediateSize: 344, maxPositions: 1024 };
  writeFileSync(configPath, JSON.stringify(makeHfConfig(shape)));
  const off = await peakRun(configPath, false, 4, 512);
  const on = await peakRun(configPath, true, 4, 512);
  t.true(Math.abs(off.loss - on.loss) < 1e-5 * Math.abs(off.loss));
  const stepOff = off.hwmBytes - off.rssBeforeStepBytes, stepOn = on.hwmBytes - on.rssBeforeStepBytes;
  t.log(`step peak above the pre-step RSS: ${(stepOff / 2 ** 20).toFixed(1)} MiB without, ${(stepOn / 2 ** 20).toFixed(1)} MiB with checkpointing`);
  t.true(stepOn < 0.5 * stepOff, `${stepOn} vs ${stepOff}`);
});
