/**
 * make-base: the demo's pretrained base model, `models/demo-base/`, made by the project's own
 * library (the BPE trainer behind `eyemulator tokenizer train`, `Model.create` behind
 * `eyemulator model init`, the `Trainer` behind `eyemulator train`) as a plain causal LM on
 * monolingual code:
 *
 *   node --import tsx scripts/make-base.ts [--out models/demo-base] [--steps 1000] [--seed 0] …   (defaults: the shipped base)
 *
 * Corpus: the Java side and the C# side of CodeXGLUE java-cs *train* (data/codexglue, C-UDA/CC0),
 * each function its own document ([BOS] code [EOS], loss on every position after BOS), Java and C#
 * pooled, shuffled by the seed and unpaired: a function never sits next to its translation, no
 * prompt or instruction text, nothing from valid or test. A seeded 2% of the documents is held out
 * (never trained on) to measure held-out CE (nats per token). Documents longer than --max-length
 * tokens are cut (counted).
 *
 * Writes, into --out: config.json, generation_config.json, model.safetensors (bfloat16 by default),
 * tokenizer.json + tokenizer_config.json (byte-level BPE trained on the same training documents),
 * and pretrain.json (every setting, the corpus counts, the held-out CE curve, wall time, threads).
 * The model card (README.md) is written by hand from pretrain.json and is left as it is.
 *
 * `--measure N` trains N steps only and prints the pace (for choosing a size); nothing is saved.
 * Deterministic for a seed on one machine and thread count (libtorch's CPU sums are not
 * bit-identical across thread counts).
 */
import { existsSync, mkdirSync, renameSync, rmSync, copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readCodexglueSplit } from '../src/data/codexglue.ts';
import { collateRows, type SequenceRow } from '../src/data/causal-example.ts';
import { epochBatches } from '../src/data/bucketing.ts';
import { trainTokenizer, saveTrainedTokenizer, formatTrainStats } from '../src/tokenizer/index.ts';
import { loadModelTokenizer, tokenizerSpecialIds } from '../src/model/tokenizer.ts';
import { Model } from '../src/model/model.ts';
import { GENERATION_CONFIG_FILE, makeGenerationConfig } from '../src/model/generation-config.ts';
import { Trainer } from '../src/train/trainer.ts';
import { Rng } from '../src/util/rng.ts';
import { bundledDataRoot } from '../src/util/paths.ts';
import { writeJsonAtomic, writeTextAtomic } from '../src/util/json.ts';
import { EyemulatorError, InputError } from '../src/util/errors.ts';

const { values: a } = parseArgs({
  options: {
    out: { type: 'string', default: 'models/demo-base' },
    data: { type: 'string', default: join(bundledDataRoot(), 'codexglue', 'java-cs') },
    seed: { type: 'string', default: '0' },
    vocab: { type: 'string', default: '2000' },
    hidden: { type: 'string', default: '128' },
    layers: { type: 'string', default: '4' },
    heads: { type: 'string', default: '4' },
    intermediate: { type: 'string' },
    'max-positions': { type: 'string', default: '512' },
    'max-length': { type: 'string', default: '320' },
    steps: { type: 'string', default: '1000' },
    'batch-size': { type: 'string', default: '32' },
    lr: { type: 'string', default: '0.003' },
    'eval-every': { type: 'string', default: '100' },
    'held-out': { type: 'string', default: '0.02' },
    threads: { type: 'string', default: '2' },
    dtype: { type: 'string', default: 'bfloat16' },
    measure: { type: 'string' },
  },
  strict: true,
});
const num = (k: keyof typeof a): number => {
  const v = Number(a[k]);
  if (!Number.isFinite(v)) { process.stderr.write(`make-base: --${k} must be a number, got ${JSON.stringify(a[k])}\n`); process.exit(2); }
  return v;
};
const seed = num('seed'), threads = num('threads'), maxLength = num('max-length'), batchSize = num('batch-size');
const measure = a.measure === undefined ? 0 : num('measure');
const steps = measure || num('steps');
const log = (l: string) => process.stderr.write(`[make-base] ${l}\n`);
const t0 = performance.now();
const secs = () => (performance.now() - t0) / 1000;

async function main(): Promise<void> {
  // 1. Documents: every train function of both languages, shuffled, a held-out share set aside.
  const pairs = readCodexglueSplit(resolve(a.data!), 'train');
  const docs = new Rng(seed).fork('documents').shuffle([
    ...pairs.map((p) => ({ id: `java:${p.id}`, text: p.java })),
    ...pairs.map((p) => ({ id: `cs:${p.id}`, text: p.cs })),
  ]);
  const nHeld = Math.round(docs.length * num('held-out'));
  const held = docs.slice(0, nHeld), train = docs.slice(nHeld);
  log(`${pairs.length} train pairs → ${docs.length} monolingual documents: ${train.length} to train on, ${held.length} held out`);

  // 2. Tokenizer on the training documents only.
  const out = resolve(a.out!);
  const work = `${out}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const tokDir = join(work, 'tokenizer-src');
  const corpus = join(tokDir, 'corpus.txt');
  mkdirSync(tokDir);
  writeTextAtomic(corpus, train.map((d) => d.text).join('\n') + '\n');
  const trained = await trainTokenizer([corpus], { vocabSize: num('vocab'), minFrequency: 2, modelMaxLength: num('max-positions') });
  const tokPath = join(tokDir, 'tokenizer.json');
  saveTrainedTokenizer(trained, tokPath);
  rmSync(corpus);
  for (const l of formatTrainStats(trained.stats).split('\n')) log(`tokenizer: ${l}`);
  const special = tokenizerSpecialIds(tokPath);
  if (special.bos === null || special.eos === null || special.pad === null) throw new InputError('the trained tokenizer names no bos/eos/pad token', { file: tokPath });
  const vocabSize = Math.max(...Object.values((JSON.parse(trained.json) as { model: { vocab: Record<string, number> } }).model.vocab)) + 1;

  // 3. The model, made from the seed (Model.create copies the tokenizer files in beside it).
  const shape = {
    arch: 'llama' as const, vocabSize, hiddenSize: num('hidden'), layers: num('layers'), heads: num('heads'),
    intermediateSize: a.intermediate === undefined ? undefined : num('intermediate'), maxPositions: num('max-positions'),
    bosTokenId: special.bos, eosTokenId: special.eos, padTokenId: special.pad,
  };
  const model = await Model.create(work, shape, { seed, threads, tokenizer: tokPath, dtype: 'float32' });
  rmSync(tokDir, { recursive: true });
  const parameters = model.info().parameters;
  log(`model: Llama hidden ${shape.hiddenSize}, ${shape.layers} layers, ${shape.heads} heads, vocabulary ${vocabSize}: ${parameters.toLocaleString('en')} parameters`);
  const tok = await loadModelTokenizer(work);

  // 4. [BOS] code [EOS] per document, cut to maxLength; loss on every position after BOS.
  let cut = 0, cutTokens = 0;
  async function encodeAll(ds: typeof docs): Promise<SequenceRow[]> {
    const enc = await tok.tokenizer.encodeBatch(ds.map((d) => d.text), { addSpecialTokens: false });
    return enc.map((e) => {
      let ids = [special.bos!, ...e.getIds(), special.eos!];
      if (ids.length > maxLength) { cut++; cutTokens += ids.length - maxLength; ids = ids.slice(0, maxLength); }
      const lossMask = new Uint8Array(ids.length).fill(1);
      lossMask[0] = 0;
      return { ids: Int32Array.from(ids), lossMask };
    });
  }
  const trainRows = await encodeAll(train);
  const heldRows = await encodeAll(held);
  const trainTokens = trainRows.reduce((s, r) => s + r.ids.length - 1, 0);
  log(`${trainTokens} training tokens (${(trainTokens / trainRows.length).toFixed(1)} per document); ${cut} documents cut to ${maxLength} tokens (${cutTokens} tokens dropped)`);

  async function heldOutCe(m: Model): Promise<number> {
    let sum = 0, n = 0;
    for (let i = 0; i < heldRows.length; i += 16) {
      // Batches of 16: forward() returns the logits too ([B, T, vocabulary] floats).
      const r = await m.forward(collateRows(heldRows.slice(i, i + 16), special.pad!), { threads });
      sum += r.loss * r.tokens;
      n += r.tokens;
    }
    return sum / n;
  }

  // 5. Pretraining: length-bucketed shuffled batches (the fine-tuning runs' scheme), AdamW, cosine.
  const lr = num('lr');
  const trainer = new Trainer(model, { lr, warmupSteps: Math.round(0.03 * steps), totalSteps: steps, schedule: 'cosine', minLrRatio: 0.1, weightDecay: 0.01, maxGradNorm: 1, gamma: 0, threads });
  const curve: Array<{ step: number; trainCe?: number; heldOutCe?: number; elapsedS: number }> = [];
  const evalEvery = num('eval-every');
  const lengths = trainRows.map((r) => r.ids.length);
  let epoch = 0, plan = epochBatches(lengths, { seed, epoch, batchSize }).batches, b = 0, window: number[] = [];
  const tTrain = performance.now();
  const ce0 = measure ? NaN : await heldOutCe(model);
  if (!measure) { curve.push({ step: 0, heldOutCe: ce0, elapsedS: 0 }); log(`step 0: held-out CE ${ce0.toFixed(3)}`); }
  for (let s = 1; s <= steps; s++) {
    if (b >= plan.length) { epoch++; plan = epochBatches(lengths, { seed, epoch, batchSize }).batches; b = 0; }
    const r = await trainer.step(collateRows(plan[b++].map((i) => trainRows[i]), special.pad!));
    window.push(r.loss);
    const last = s === steps;
    if (s % evalEvery === 0 || last || (measure && s % 10 === 0)) {
      const trainCe = window.reduce((x, y) => x + y, 0) / window.length;
      window = [];
      const point: (typeof curve)[number] = { step: s, trainCe, elapsedS: (performance.now() - tTrain) / 1000 };
      if (!measure) point.heldOutCe = await heldOutCe(model);
      curve.push(point);
      log(`step ${s}/${steps} (epoch ${epoch + 1}): train CE ${trainCe.toFixed(3)}${point.heldOutCe === undefined ? '' : `, held-out CE ${point.heldOutCe.toFixed(3)}`}, ${(point.elapsedS / s).toFixed(2)} s/step`);
    }
  }
  const trainSeconds = (performance.now() - tTrain) / 1000;
  trainer.dispose();
  if (measure) {
    log(`measured: ${steps} steps in ${trainSeconds.toFixed(1)} s = ${(trainSeconds / steps).toFixed(3)} s/step at batch ${batchSize}, ${threads} thread(s); an epoch is ${Math.ceil(trainRows.length / batchSize)} steps`);
    model.dispose();
    rmSync(work, { recursive: true, force: true });
    return;
  }

  // 6. Save in the shipping dtype, then check that what ships scores what was measured.
  const dtype = a.dtype as 'bfloat16' | 'float16' | 'float32';
  await model.save(work, { dtype });
  model.dispose();
  writeJsonAtomic(join(work, GENERATION_CONFIG_FILE), makeGenerationConfig(special));
  const shipped = await Model.load(work, { dtype: 'float32', threads });
  const shippedCe = await heldOutCe(shipped);
  shipped.dispose();
  log(`saved in ${dtype}; held-out CE of the saved weights (loaded as float32) ${shippedCe.toFixed(4)}`);
  writeJsonAtomic(join(work, 'pretrain.json'), {
    tool: 'scripts/make-base.ts', command: `node --import tsx scripts/make-base.ts ${process.argv.slice(2).join(' ')}`.trim(),
    data: { source: 'CodeXGLUE code-to-code translation, java-cs train split (Lu et al., 2021), C-UDA / CC0', dir: 'data/codexglue/java-cs', pairs: pairs.length, documents: docs.length, trainDocuments: train.length, heldOutDocuments: held.length, trainTokens, cutDocuments: cut, cutTokens, heldOutIds: held.map((d) => d.id) },
    parameters, settings: { seed, ...shape, maxLength, steps, batchSize, lr, schedule: 'cosine', warmupSteps: Math.round(0.03 * steps), minLrRatio: 0.1, weightDecay: 0.01, maxGradNorm: 1, threads, dtype },
    epochs: (steps * batchSize) / trainRows.length,
    trainSeconds, totalSeconds: secs(),
    heldOutCe: { init: ce0, final: curve[curve.length - 1].heldOutCe, saved: shippedCe },
    curve,
  });
  // Swap the finished folder in, keeping a hand-written model card (README.md) if there is one.
  if (existsSync(join(out, 'README.md'))) copyFileSync(join(out, 'README.md'), join(work, 'README.md'));
  rmSync(out, { recursive: true, force: true });
  renameSync(work, out);
  log(`done in ${secs().toFixed(0)} s → ${out}`);
}

try {
  await main();
} catch (e) {
  // Typed errors (a missing data file, bad options) are the user's to fix: their message, no stack.
  if (e instanceof EyemulatorError) { process.stderr.write(`make-base: ${e.message}\n`); process.exit(1); }
  throw e;
}
