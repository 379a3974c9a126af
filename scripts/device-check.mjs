// Device check: the engine on CUDA against the engine on the CPU, through the addon only (plain
// ESM, no imports beyond node:, so it runs on a bare GPU machine with just a node binary).
//
//   node scripts/device-check.mjs ADDON.node                 all checks, CPU vs cuda (exit 1 on any FAIL)
//   node scripts/device-check.mjs ADDON.node --cpu-only      a dry run: the "CUDA" side is the CPU
//   node scripts/device-check.mjs ADDON.node --write-fixture writes scripts/device-check-fixture.json
//
// The fixture holds a tiny Llama's weights (drawn from a fixed seed by the addon's init) and the
// CPU logits on a fixed batch computed with the libtorch the fixture was written with (Debian's
// 1.13: explicit attention). Under libtorch >= 2 the same forward goes through
// scaled_dot_product_attention, so the fixture check compares the two attention paths.
// One line per check: PASS|FAIL|INFO name: numbers.
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const addonPath = args.find((a) => !a.startsWith('--'));
if (!addonPath) {
  console.error('usage: node scripts/device-check.mjs ADDON.node [--cpu-only | --write-fixture]');
  process.exit(2);
}
const WRITE_FIXTURE = args.includes('--write-fixture');
const CPU_ONLY = args.includes('--cpu-only');
const DEV = CPU_ONLY ? 'cpu' : 'cuda';
const here = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(here, 'device-check-fixture.json');

process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
const addon = createRequire(import.meta.url)(resolve(addonPath));
const work = mkdtempSync(join(tmpdir(), 'eyemulator-device-check-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

// ---------------------------------------------------------------- helpers
let failures = 0;
const fmt = (x) => (typeof x === 'number' ? (Number.isInteger(x) ? String(x) : x.toExponential(2)) : String(x));
function report(ok, name, detail) {
  if (ok === null) console.log(`INFO ${name}: ${detail}`);
  else {
    console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: ${detail}`);
    if (!ok) failures++;
  }
}
async function check(name, fn) {
  try {
    await fn();
  } catch (e) {
    report(false, name, `threw ${e && e.code ? e.code + ' ' : ''}${String((e && e.message) || e).split('\n')[0]}`);
  }
}
function maxAbsDiff(a, b, mask) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask && !mask(i)) continue;
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}
const maxDiffArr = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), a.length === b.length ? 0 : Infinity);
const curve = (l) => l.map((x) => x.toFixed(4)).join(' ');

// mulberry32: a small deterministic PRNG for batches (same numbers on every machine).
function rng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n) };
}

/** A batch [B,T] with weights, a path mask, -100 labels, and left padding in row 1 (with pad). */
function makeBatch(vocab, B, T, seed, pad = true) {
  const r = rng(seed);
  const n = B * T;
  const inputIds = new Int32Array(n), labels = new Int32Array(n), weights = new Float32Array(n);
  const attentionMask = new Int32Array(n).fill(1), pathMask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    inputIds[i] = r.int(vocab);
    labels[i] = inputIds[i];
    weights[i] = Math.fround(0.5 + 2 * r.next());
    pathMask[i] = r.next() < 0.4 ? 1 : 0;
  }
  for (let b = 0; b < B; b++) {
    labels[b * T] = -100;
    pathMask[b * T + 1] = 1; // every row has path and non-path loss tokens
    pathMask[b * T + 2] = 0;
  }
  if (pad && B > 1) {
    for (let t = 0; t < 3; t++) {
      attentionMask[T + t] = 0;
      labels[T + t] = -100;
      inputIds[T + t] = 0;
    }
  }
  return { inputIds, labels, weights, attentionMask, pathMask, batchSize: B, seqLen: T };
}

function llamaConfig({ vocab, hidden, layers, heads, kvHeads, inter }) {
  return {
    architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: vocab, hidden_size: hidden,
    intermediate_size: inter, num_hidden_layers: layers, num_attention_heads: heads, num_key_value_heads: kvHeads,
    max_position_embeddings: 2048, hidden_act: 'silu', initializer_range: 0.02, rms_norm_eps: 1e-6, rope_theta: 10000,
    tie_word_embeddings: false, use_cache: true, torch_dtype: 'float32', bos_token_id: null, eos_token_id: null,
    pad_token_id: null, attention_bias: false, attention_dropout: 0.0, mlp_bias: false, pretraining_tp: 1,
    rope_scaling: null, head_dim: hidden / heads,
  };
}
function writeConfig(name, shape) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(llamaConfig(shape), null, 2));
  return dir;
}
const f32b64 = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const b64f32 = (s) => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
async function loadOn(dir, device) {
  const m = new addon.Model();
  await m.load(dir, { device });
  return m;
}

// ---------------------------------------------------------------- the tiny model
const TINY = { vocab: 40, hidden: 16, layers: 2, heads: 4, kvHeads: 2, inter: 32 };
const SEED = 1234;
const fixBatch = makeBatch(TINY.vocab, 2, 10, 77);
const tinyDir = writeConfig('tiny', TINY);
const v = addon.version();

if (WRITE_FIXTURE) {
  const m = new addon.Model();
  await m.init(join(tinyDir, 'config.json'), { seed: SEED, dtype: 'float32', device: 'cpu' });
  const weights = {};
  for (const t of m.info().tensors) weights[t.name] = f32b64(m.getParameter(t.name).data);
  const r = await m.forward(fixBatch, { normalizeByWeights: true });
  const fixture = {
    about: 'tiny Llama (init seed ' + SEED + ') and its CPU logits on a fixed batch; written by scripts/device-check.mjs --write-fixture',
    torch: v.torch, shape: TINY, seed: SEED, weights,
    batch: { batchSize: 2, seqLen: 10, seed: 77 },
    logits: Array.from(r.logits.data), logitsShape: r.logits.shape, loss: r.loss,
  };
  writeFileSync(FIXTURE, JSON.stringify(fixture) + '\n');
  console.log(`wrote ${FIXTURE} (libtorch ${v.torch}, loss ${r.loss.toFixed(6)})`);
  m.dispose();
  process.exit(0);
}

// ---------------------------------------------------------------- checks
report(CPU_ONLY ? null : v.cuda, 'env', `libtorch ${v.torch}, cudaBuilt ${v.cudaBuilt}, cuda ${v.cuda}, devices ${v.cudaDevices}, threads ${v.defaultThreads}${CPU_ONLY ? ' (dry run: the second device is the CPU)' : ''}`);
if (!CPU_ONLY && !v.cuda) {
  console.log('FAIL summary: no CUDA device usable from this addon; nothing else to check');
  process.exit(1);
}

// The base model: init from the seed (compared with the fixture's weights), then the fixture's
// weights exactly, saved as a HF folder that every check below loads.
const fixture = existsSync(FIXTURE) ? JSON.parse(readFileSync(FIXTURE, 'utf8')) : null;
const baseDir = join(work, 'base');
await check('fixture', async () => {
  const m = new addon.Model();
  await m.init(join(tinyDir, 'config.json'), { seed: SEED, dtype: 'float32', device: 'cpu' });
  if (!fixture) {
    await m.save(baseDir);
    report(false, 'fixture', `no ${FIXTURE} (write it with --write-fixture on the reference build)`);
    return;
  }
  let initDiff = 0;
  for (const t of m.info().tensors) {
    const w = b64f32(fixture.weights[t.name]);
    initDiff = Math.max(initDiff, maxAbsDiff(m.getParameter(t.name).data, w));
    m.setParameter(t.name, w);
  }
  report(null, 'init-seed', `init(seed ${SEED}) here vs libtorch ${fixture.torch}: max |Δw| ${fmt(initDiff)} (the checks use the fixture's weights)`);
  await m.save(baseDir);
  m.dispose();
  const cpu = await loadOn(baseDir, 'cpu');
  const r = await cpu.forward(fixBatch, { normalizeByWeights: true });
  const [B, T, V] = r.logits.shape;
  const valid = (i) => fixBatch.attentionMask[Math.floor(i / V)] === 1;
  const d = maxAbsDiff(r.logits.data, fixture.logits, valid);
  const dAll = maxAbsDiff(r.logits.data, fixture.logits);
  const dl = Math.abs(r.loss - fixture.loss);
  const sdpa = Number(v.torch.split('.')[0]) >= 2 ? 'SDPA' : 'explicit attention';
  report(d <= 1e-4 && dl <= 1e-4, 'fixture', `CPU logits (${sdpa}, libtorch ${v.torch}) vs libtorch ${fixture.torch}: max |Δ| ${fmt(d)} on tokens (${fmt(dAll)} incl. padding), |Δloss| ${fmt(dl)} [${B}x${T}x${V}, tol 1e-4]`);
  cpu.dispose();
});
if (!existsSync(join(baseDir, 'model.safetensors'))) {
  console.log('FAIL summary: no base model');
  process.exit(1);
}

// Four batches, cycled: 20 steps learn them, so the loss falls and the trained model is decisive.
const batches = Array.from({ length: 8 }, (_, i) => makeBatch(TINY.vocab, 4, 12, 1000 + (i % 4)));
const trainedDir = join(work, 'trained');

await check('load', async () => {
  const cpu = await loadOn(baseDir, 'cpu');
  const dev = await loadOn(baseDir, DEV);
  const i = dev.info();
  const wantDev = CPU_ONLY ? 'cpu' : 'cuda:0';
  const name = 'model.layers.1.self_attn.k_proj.weight';
  const wd = maxAbsDiff(cpu.getParameter(name).data, dev.getParameter(name).data);
  report(i.device === wantDev && wd === 0, 'load', `info().device ${i.device}; getParameter identical to CPU: ${wd === 0}`);
  const [a, b] = [await cpu.forward(fixBatch, { normalizeByWeights: true }), await dev.forward(fixBatch, { normalizeByWeights: true })];
  const V = a.logits.shape[2];
  const d = maxAbsDiff(a.logits.data, b.logits.data, (k) => fixBatch.attentionMask[Math.floor(k / V)] === 1);
  report(d <= 1e-4 && Math.abs(a.loss - b.loss) <= 1e-5, 'forward', `max |Δlogits| ${fmt(d)}; loss cpu ${a.loss.toFixed(6)} ${DEV} ${b.loss.toFixed(6)} (tol 1e-4 / 1e-5)`);
  const g = [await cpu.forward(fixBatch, { grads: true, attentionLayers: [1], reference: true, gamma: 0.1 }),
    await dev.forward(fixBatch, { grads: true, attentionLayers: [1], reference: true, gamma: 0.1 })];
  let gd = 0;
  for (const k of Object.keys(g[0].grads)) gd = Math.max(gd, maxAbsDiff(g[0].grads[k].data, g[1].grads[k].data));
  const ad = maxAbsDiff(g[0].attention['1'].data, g[1].attention['1'].data);
  report(gd <= 1e-4 && ad <= 1e-5 && Object.keys(g[1].grads).length === i.tensors.length, 'grads+attention',
    `max |Δgrad| ${fmt(gd)} over ${Object.keys(g[1].grads).length} tensors, max |Δattention| ${fmt(ad)}, pref cpu ${g[0].pref.toFixed(6)} ${DEV} ${g[1].pref.toFixed(6)}`);
  // setParameter onto the device and back
  const w = new Float32Array(dev.getParameter('model.norm.weight').data.length).map((_, k) => 1 + k / 100);
  dev.setParameter('model.norm.weight', w);
  report(maxAbsDiff(dev.getParameter('model.norm.weight').data, w) === 0, 'set/getParameter', `round trip through ${i.device} exact`);
  cpu.dispose();
  dev.dispose();
});

async function trainRun(device, { lora = null, gamma = 0, steps = 20, bf16 = false, keep = false, saveTo = null } = {}) {
  const m = await loadOn(baseDir, device);
  if (lora) m.addLora(lora);
  const tr = new addon.Trainer(m, {
    lr: 1e-2, warmupSteps: 2, totalSteps: 20, schedule: 'cosine', weightDecay: 0.01, normalizeByWeights: true, gamma, beta: 0.1,
    bf16Autocast: bf16,
  });
  const loss = [], pref = [];
  for (let s = 0; s < steps; s++) {
    const r = await tr.step(batches[s % batches.length]);
    loss.push(r.loss);
    pref.push(r.pref);
  }
  if (saveTo) await m.save(saveTo);
  if (keep) return { m, tr, loss, pref };
  tr.dispose();
  m.dispose();
  return { loss, pref };
}

await check('train', async () => {
  const [a, b] = [await trainRun('cpu', { saveTo: trainedDir }), await trainRun(DEV)];
  console.log(`     cpu  ${curve(a.loss)}\n     ${DEV.padEnd(4)} ${curve(b.loss)}`);
  const d = maxDiffArr(a.loss, b.loss);
  report(d <= 1e-3 && a.loss[19] < a.loss[0], 'train', `20 AdamW steps, weighted loss: max |Δloss| ${fmt(d)} (expect ~1e-5; tol 1e-3), loss ${a.loss[0].toFixed(4)} → ${a.loss[19].toFixed(4)}`);
});

const LORA = { r: 4, alpha: 8, dropout: 0, seed: 9 };
await check('train-lora-pref', async () => {
  const [a, b] = [await trainRun('cpu', { lora: LORA, gamma: 0.1 }), await trainRun(DEV, { lora: LORA, gamma: 0.1 })];
  console.log(`     cpu  ${curve(a.loss)}\n     ${DEV.padEnd(4)} ${curve(b.loss)}`);
  const d = maxDiffArr(a.loss, b.loss), dp = maxDiffArr(a.pref, b.pref);
  report(d <= 1e-3 && dp <= 1e-3 && a.pref[0] > 0, 'train-lora-pref', `LoRA r=4, γ=0.1: max |Δloss| ${fmt(d)}, max |Δpref| ${fmt(dp)} (tol 1e-3), pref step 1 ${a.pref[0].toFixed(6)} (ln 2 = 0.693147)`);
});

await check('lora-dropout', async () => {
  const lora = { ...LORA, dropout: 0.1 };
  const [a, b] = [await trainRun(DEV, { lora, steps: 8 }), await trainRun(DEV, { lora, steps: 8 })];
  const c = await trainRun(DEV, { lora: { ...lora, seed: 10 }, steps: 8 });
  const d = maxDiffArr(a.loss, b.loss), dc = maxDiffArr(a.loss, c.loss);
  const finite = a.loss.every(Number.isFinite);
  report(finite && d <= 1e-5 && dc > 0, 'lora-dropout', `dropout 0.1 on ${DEV}: same seed twice max |Δloss| ${fmt(d)} (tol 1e-5), another seed differs by ${fmt(dc)}`);
});

await check('bf16-autocast', async () => {
  const [f, a, b] = [await trainRun('cpu', { steps: 3 }), await trainRun('cpu', { steps: 3, bf16: true }), await trainRun(DEV, { steps: 3, bf16: true })];
  const rel = (x) => Math.abs(x - f.loss[0]) / f.loss[0];
  const ok = [...a.loss, ...b.loss].every(Number.isFinite) && rel(a.loss[0]) < 0.05 && rel(b.loss[0]) < 0.05;
  report(ok, 'bf16-autocast', `step-1 loss fp32 ${f.loss[0].toFixed(4)}, bf16 cpu ${a.loss[0].toFixed(4)}, bf16 ${DEV} ${b.loss[0].toFixed(4)} (within 5%)`);
});

await check('generate', async () => {
  // the trained model (sharper next-token distributions than a fresh one: no near-ties)
  const src = existsSync(join(trainedDir, 'model.safetensors')) ? trainedDir : baseDir;
  const cpu = await loadOn(src, 'cpu');
  const dev = await loadOn(src, DEV);
  const prompts = [[1, 2, 3, 4, 5], [7, 8], [9, 10, 11]];
  const opt = { maxNewTokens: 12, eosIds: [], beams: 1 };
  const [a, b] = [await cpu.generate(prompts, opt), await dev.generate(prompts, opt)];
  const tokSame = a.every((g, i) => g.tokens.join(',') === b[i].tokens.join(','));
  const lpd = Math.max(...a.map((g, i) => maxAbsDiff(g.logprobs, b[i].logprobs)));
  report(tokSame && lpd <= 1e-4, 'generate-greedy', `3 prompts x 12 tokens: tokens match ${tokSame}, max |Δlogprob| ${fmt(lpd)}; ${DEV}: ${b[0].tokens.join(' ')}`);
  const [ba, bb] = [await cpu.generate([prompts[0]], { maxNewTokens: 8, beams: 3 }), await dev.generate([prompts[0]], { maxNewTokens: 8, beams: 3 })];
  const nc = await dev.generate(prompts, { ...opt, useCache: false, attentionLayers: [0] });
  const ncSame = nc.every((g, i) => g.tokens.join(',') === b[i].tokens.join(','));
  const att = nc[0].attention && nc[0].attention['0'];
  const attOk = !!att && att.shape[0] === 12 && att.shape[2] === prompts[0].length;
  report(ba[0].tokens.join(',') === bb[0].tokens.join(',') && ncSame && attOk, 'generate-beam+nocache',
    `beam 3 tokens match ${ba[0].tokens.join(',') === bb[0].tokens.join(',')}; ${DEV} without KV cache = with ${ncSame}; attention ${att ? att.shape.join('x') : 'missing'}`);
  cpu.dispose();
  dev.dispose();
});

await check('state+adapter', async () => {
  // Full fine-tuning on the device: state saved there, resumed on the CPU (and back).
  const src = await trainRun(DEV, { steps: 5, keep: true });
  const statePath = join(work, 'state-full.safetensors');
  await src.tr.saveState(statePath, { note: 'device-check' });
  const cpu = await loadOn(baseDir, 'cpu');
  const tr = new addon.Trainer(cpu, { lr: 1e-2, warmupSteps: 2, totalSteps: 20, schedule: 'cosine', weightDecay: 0.01, normalizeByWeights: true });
  const meta = await tr.loadState(statePath);
  const [x, y] = [await src.tr.step(batches[5]), await tr.step(batches[5])];
  const fa = await src.m.forward(fixBatch), fb = await cpu.forward(fixBatch);
  const V = fa.logits.shape[2];
  const d = maxAbsDiff(fa.logits.data, fb.logits.data, (k) => fixBatch.attentionMask[Math.floor(k / V)] === 1);
  report(tr.steps === 6 && meta.note === 'device-check' && Math.abs(x.loss - y.loss) <= 1e-4 && d <= 1e-4, 'state-full',
    `${DEV} → cpu: step ${tr.steps}, next-step loss ${x.loss.toFixed(6)} vs ${y.loss.toFixed(6)}, then max |Δlogits| ${fmt(d)}`);
  // and back: the CPU state into a fresh device trainer
  const back = join(work, 'state-back.safetensors');
  await tr.saveState(back);
  const dev2 = await loadOn(baseDir, DEV);
  const tr2 = new addon.Trainer(dev2, { lr: 1e-2, warmupSteps: 2, totalSteps: 20, schedule: 'cosine', weightDecay: 0.01, normalizeByWeights: true });
  await tr2.loadState(back);
  const [p, q] = [await tr.step(batches[6]), await tr2.step(batches[6])];
  report(Math.abs(p.loss - q.loss) <= 1e-4 && tr2.steps === 7, 'state-full-back', `cpu → ${DEV}: next-step loss ${p.loss.toFixed(6)} vs ${q.loss.toFixed(6)}`);
  // the HF folder saved from the device loads on the CPU
  const saved = join(work, 'saved-from-device');
  await src.m.save(saved);
  const re = await loadOn(saved, 'cpu');
  const fs = await src.m.forward(fixBatch), fr = await re.forward(fixBatch);
  const ds = maxAbsDiff(fs.logits.data, fr.logits.data, (k) => fixBatch.attentionMask[Math.floor(k / V)] === 1);
  report(ds <= 1e-4, 'save-hf', `model saved from ${DEV}, loaded on cpu: max |Δlogits| ${fmt(ds)}`);
  for (const o of [src.tr, tr, tr2]) o.dispose();
  for (const o of [src.m, cpu, dev2, re]) o.dispose();

  // LoRA with dropout on the device: adapter + state saved there, loaded on the CPU.
  const lora = { ...LORA, dropout: 0.05 };
  const ls = await trainRun(DEV, { lora, gamma: 0.1, steps: 5, keep: true });
  const adapterDir = join(work, 'adapter');
  await ls.m.saveAdapter(adapterDir, { baseModel: 'device-check' });
  const lstate = join(work, 'state-lora.safetensors');
  await ls.tr.saveState(lstate);
  const c1 = await loadOn(baseDir, 'cpu');
  await c1.loadAdapter(adapterDir);
  const c2 = await loadOn(baseDir, 'cpu');
  c2.addLora(lora);
  const tr3 = new addon.Trainer(c2, { lr: 1e-2, warmupSteps: 2, totalSteps: 20, schedule: 'cosine', weightDecay: 0.01, normalizeByWeights: true, gamma: 0.1 });
  await tr3.loadState(lstate); // the CUDA dropout stream cannot go into a CPU generator: skipped, not an error
  const [o0, o1, o2] = [await ls.m.forward(fixBatch), await c1.forward(fixBatch), await c2.forward(fixBatch)];
  const d1 = maxAbsDiff(o0.logits.data, o1.logits.data, (k) => fixBatch.attentionMask[Math.floor(k / V)] === 1);
  const d2 = maxAbsDiff(o0.logits.data, o2.logits.data, (k) => fixBatch.attentionMask[Math.floor(k / V)] === 1);
  const s = await tr3.step(batches[7]);
  report(d1 <= 1e-4 && d2 <= 1e-4 && tr3.steps === 6 && Number.isFinite(s.loss), 'state+adapter-lora',
    `${DEV} → cpu: adapter max |Δlogits| ${fmt(d1)}, state max |Δlogits| ${fmt(d2)}, resumed step ${tr3.steps} loss ${s.loss.toFixed(4)}`);
  for (const o of [ls.tr, tr3]) o.dispose();
  for (const o of [ls.m, c1, c2]) o.dispose();
});

await check('errors', async () => {
  const bad = [];
  const expectArg = async (device, re) => {
    const m = new addon.Model();
    try {
      await m.init(join(tinyDir, 'config.json'), { seed: 1, device });
      bad.push(`${device}: no error`);
    } catch (e) {
      if (e.code !== 'EYEMULATOR_ARGUMENT' || !re.test(e.message)) bad.push(`${device}: ${e.code} ${e.message}`);
    }
  };
  await expectArg('bogus', /unknown device "bogus"/);
  await expectArg('cuda:x', /unknown device/);
  if (!CPU_ONLY) await expectArg(`cuda:${Math.max(v.cudaDevices, 1)}`, /CUDA device/);
  report(bad.length === 0, 'errors', bad.length ? bad.join('; ') : `typed EYEMULATOR_ARGUMENT for bogus, cuda:x${CPU_ONLY ? '' : `, cuda:${Math.max(v.cudaDevices, 1)} (past the ${v.cudaDevices} visible)`}`);
});

// Every supported family (issue 13), from the committed transformers fixtures: float32 and bf16
// loads on the device against HF's float64 logits, and a LoRA (all-linear) + γ training step there.
await check('families', async () => {
  const FIX = join(here, '..', 'test', 'fixtures', 'hf', 'models');
  if (!existsSync(FIX)) return report(null, 'families', 'no test/fixtures/hf/models in this tree');
  const names = readdirSync(FIX).filter((n) => existsSync(join(FIX, n, 'reference.safetensors'))).sort();
  for (const name of names) {
    const st = addon.readSafetensors(join(FIX, name, 'reference.safetensors')).tensors;
    const ids = Int32Array.from(st.input_ids.data, Number);
    const mask = Int32Array.from(st.attention_mask.data, Number);
    const [B, T] = st.input_ids.shape;
    const V = st.logits.shape[2];
    const batch = { inputIds: ids, labels: ids.map((v, i) => (mask[i] ? v : -100)), attentionMask: mask, batchSize: B, seqLen: T,
      weights: new Float32Array(B * T).fill(1.5), pathMask: new Uint8Array(B * T).map((_, i) => i % 2) };
    const ref = st.logits.data;
    const parts = [];
    let ok = true;
    for (const [dtype, tol] of [['float32', 1e-4], ['bfloat16', 8e-2]]) {
      const m = new addon.Model();
      await m.load(join(FIX, name), { device: DEV, dtype });
      const r = await m.forward(batch, {});
      let d = 0, sc = 0;
      for (let p = 0; p < mask.length; p++) if (mask[p]) for (let v = 0; v < V; v++) {
        d = Math.max(d, Math.abs(r.logits.data[p * V + v] - ref[p * V + v]));
        sc = Math.max(sc, Math.abs(ref[p * V + v]));
      }
      m.addLora({ r: 2, alpha: 4, targetModules: 'all-linear', seed: 1 });
      const tr = new addon.Trainer(m, { lr: 1e-2, gamma: 0.1, beta: 0.1 });
      const s1 = await tr.step(batch), s2 = await tr.step(batch);
      const trained = Number.isFinite(s1.loss) && Number.isFinite(s2.loss) && s2.loss !== s1.loss;
      ok = ok && d / sc <= tol && trained;
      parts.push(`${dtype} rel Δ ${fmt(d / sc)} (tol ${fmt(tol)}), LoRA+γ steps ${s1.loss.toFixed(4)} → ${s2.loss.toFixed(4)}`);
      tr.dispose();
      m.dispose();
    }
    report(ok, `family ${name}`, parts.join('; '));
  }
});

await check('speed', async () => {
  const big = CPU_ONLY ? { vocab: 512, hidden: 64, layers: 2, heads: 4, kvHeads: 4, inter: 172 }
    : { vocab: 4096, hidden: 512, layers: 8, heads: 8, kvHeads: 8, inter: 1376 };
  const [B, T] = CPU_ONLY ? [2, 64] : [8, 512];
  const dir = writeConfig('big', big);
  const batch = makeBatch(big.vocab, B, T, 5, false);
  const time = async (device, warm, iters) => {
    const m = new addon.Model();
    await m.init(join(dir, 'config.json'), { seed: 3, device });
    const tr = new addon.Trainer(m, { lr: 1e-4 });
    for (let i = 0; i < warm; i++) await tr.step(batch);
    const t0 = performance.now();
    let r;
    for (let i = 0; i < iters; i++) r = await tr.step(batch);
    m.getParameter('model.norm.weight'); // waits for the device's queued work
    const ms = (performance.now() - t0) / iters;
    tr.dispose();
    m.dispose();
    return { ms, loss: r.loss };
  };
  const c = await time('cpu', 1, CPU_ONLY ? 2 : 3);
  const g = await time(DEV, 2, CPU_ONLY ? 2 : 10);
  const tok = B * T;
  report(CPU_ONLY ? null : g.ms < c.ms, 'speed',
    `train step (fwd+bwd+AdamW) hidden ${big.hidden}, ${big.layers} layers, batch ${B}x${T}: cpu ${c.ms.toFixed(0)} ms (${(tok / c.ms * 1000).toFixed(0)} tok/s), ${DEV} ${g.ms.toFixed(1)} ms (${(tok / g.ms * 1000).toFixed(0)} tok/s): speed-up ${(c.ms / g.ms).toFixed(1)}x; loss ${c.loss.toFixed(4)} vs ${g.loss.toFixed(4)}`);
});

console.log(failures ? `FAIL summary: ${failures} check(s) failed` : 'PASS summary: all checks passed');
process.exit(failures ? 1 : 0);
