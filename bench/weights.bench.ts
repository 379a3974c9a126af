/**
 * Throughput of the weights pipeline on the CodeXGLUE Java methods (one per line), on one core:
 *  (a) first pass: parse + label (tree-sitter) + tokenise (llama3 tokenizer.json) + offset alignment,
 *      done once per example — target ≥ 1,000 methods/s;
 *  (b) per epoch: redraw pseudo path + weights + sub-word projection from the cached
 *      PreparedExamples — target ≥ 20,000 methods/s.
 *
 *   node --import tsx bench/weights.bench.ts [--limit N] [--json OUT] [--epochs E] [--sequential]
 *
 * Data: <repo>/../shared/data (EYEMULATOR_DATA overrides). One core: the tokenizer's Rayon pool
 * and libuv's pool are pinned to one thread before the native binding loads. Tokenisation uses
 * encodeBatch over chunks of 256 methods (what a data loader does); --sequential awaits one
 * encode per method instead (slower: one async round trip per call). The load average is printed
 * because on a shared machine it moves these numbers more than any code change.
 */
process.env.RAYON_NUM_THREADS = '1';
process.env.RAYON_RS_NUM_CPUS = '1';
process.env.TOKENIZERS_PARALLELISM = 'false';
process.env.UV_THREADPOOL_SIZE = '1';

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { initLabeller, labelCodeSync } from '../src/code/index.ts';
import { defaultPriorsPath, loadPriors } from '../src/priors/index.ts';
import { buildWeightModel, drawModelWeights, exampleRng, flattenOffsets, prepareExample, VARIANTS, type PreparedExample } from '../src/weights/index.ts';
import { dataRoot as sharedDataRoot } from '../src/util/paths.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const limit = opt('limit') ? Number(opt('limit')) : Infinity;
const epochs = Number(opt('epochs') ?? 3);
const jsonOut = opt('json');
const useBatch = !args.includes('--sequential');

const dataRoot = sharedDataRoot();
const javaFile = join(dataRoot, 'codexglue', 'java-cs', 'train.java-cs.txt.java');
const tokenizerFile = join(repo, 'node_modules', '@lenml', 'tokenizer-llama3', 'models', 'tokenizer.json');
if (!existsSync(javaFile)) {
  console.error(`bench: data not found at ${javaFile} (set EYEMULATOR_DATA)`);
  process.exit(2);
}
const methods = readFileSync(javaFile, 'utf8').split('\n').filter((l) => l.trim() !== '').slice(0, limit);

const loadBefore = loadavg()[0];
const { Tokenizer } = await import('tokenizers');
const tokenizer = Tokenizer.fromFile(tokenizerFile);
await initLabeller(['java']);
const priors = loadPriors(defaultPriorsPath());

// (a) first pass ------------------------------------------------------------------------------
// Warm-up (JIT, grammar caches) on a few methods, not timed.
for (const m of methods.slice(0, 50)) {
  labelCodeSync(m, 'java');
  await tokenizer.encode(m, null, { addSpecialTokens: false });
}
const prepared: PreparedExample[] = new Array(methods.length);
let codeTokens = 0;
let modelTokens = 0;
let tLabel = 0;
let tTok = 0;
let tAlign = 0;
const t0 = performance.now();
const BATCH = 256;
for (let lo = 0; lo < methods.length; lo += BATCH) {
  const chunk = methods.slice(lo, lo + BATCH);
  const a = performance.now();
  const labelled = chunk.map((m) => labelCodeSync(m, 'java'));
  const b = performance.now();
  const encodings = useBatch
    ? await tokenizer.encodeBatch(chunk, { addSpecialTokens: false })
    : await (async () => {
        const out = [];
        for (const m of chunk) out.push(await tokenizer.encode(m, null, { addSpecialTokens: false }));
        return out;
      })();
  const c = performance.now();
  for (let i = 0; i < chunk.length; i++) {
    const p = prepareExample(labelled[i], flattenOffsets(encodings[i].getOffsets()));
    prepared[lo + i] = p;
    codeTokens += p.n;
    modelTokens += p.nModel;
  }
  const d = performance.now();
  tLabel += b - a;
  tTok += c - b;
  tAlign += d - c;
}
const firstPassS = (performance.now() - t0) / 1000;

// (b) per-epoch redraws -----------------------------------------------------------------------
interface EpochRow { variant: string; methodsPerS: number; bestMethodsPerS: number; msPerEpoch: number; meanWeight: number; pathShare: number }
const rows: EpochRow[] = [];
for (const variant of VARIANTS) {
  const model = buildWeightModel(priors, variant, { shuffleSeed: 1 });
  // Warm-up: one untimed epoch, so every variant is measured with its code paths optimised.
  for (let i = 0; i < prepared.length; i++) drawModelWeights(prepared[i], model, exampleRng(1, i, -1));
  let wSum = 0;
  let wN = 0;
  let onPath = 0;
  const epochMs: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const s = performance.now();
    for (let i = 0; i < prepared.length; i++) {
      const d = drawModelWeights(prepared[i], model, exampleRng(1, i, e));
      if (e === 0) {
        for (let k = 0; k < d.weights.length; k++) {
          wSum += d.weights[k];
          onPath += d.onPath[k];
        }
        wN += d.weights.length;
      }
    }
    epochMs.push(performance.now() - s);
  }
  const ms = epochMs.reduce((a, b) => a + b, 0);
  rows.push({
    variant,
    methodsPerS: (prepared.length * epochs) / (ms / 1000),
    bestMethodsPerS: prepared.length / (Math.min(...epochMs) / 1000),
    msPerEpoch: ms / epochs,
    meanWeight: wSum / Math.max(1, wN),
    pathShare: onPath / Math.max(1, wN),
  });
}

const n = methods.length;
const loadAfter = loadavg()[0];
const result = {
  methods: n,
  loadAverage1m: { before: loadBefore, after: loadAfter, cores: cpus().length },
  codeTokens,
  modelTokens,
  cpu: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  tokenization: useBatch ? 'encodeBatch (Rayon pinned to 1 thread)' : 'sequential encode',
  firstPass: {
    seconds: firstPassS,
    methodsPerS: n / firstPassS,
    target: 1000,
    split: { labelS: tLabel / 1000, tokenizeS: tTok / 1000, alignS: tAlign / 1000 },
  },
  perEpoch: { epochs, target: 20000, variants: rows },
};

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
console.log(`weights bench: ${n} CodeXGLUE Java methods, ${codeTokens} code tokens, ${modelTokens} llama3 tokens (${result.cpu}, node ${process.version})`);
console.log(`load average (1 min): ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, on ${cpus().length} cores`);
console.log('');
console.log(`(a) first pass, ${result.tokenization}`);
console.log(`    ${fmt(result.firstPass.methodsPerS)} methods/s (target ≥ 1,000): label ${tLabel.toFixed(0)} ms, tokenise ${tTok.toFixed(0)} ms, align ${tAlign.toFixed(0)} ms, total ${(firstPassS * 1000).toFixed(0)} ms`);
console.log('');
console.log(`(b) per epoch: path + weights + projection, ${epochs} epochs (target ≥ 20,000 methods/s)`);
console.log(`    ${'variant'.padEnd(14)}  ${'methods/s'.padStart(10)}  ${'best epoch'.padStart(10)}  ${'ms/epoch'.padStart(9)}  ${'mean w'.padStart(7)}  on-path (model tokens)`);
for (const r of rows) {
  console.log(
    `    ${r.variant.padEnd(14)}  ${fmt(r.methodsPerS).padStart(10)}  ${fmt(r.bestMethodsPerS).padStart(10)}  ${r.msPerEpoch.toFixed(1).padStart(9)}  ${r.meanWeight.toFixed(4).padStart(7)}  ${(100 * r.pathShare).toFixed(1)}%`,
  );
}
if (jsonOut) {
  mkdirSync(dirname(resolve(jsonOut)), { recursive: true });
  writeFileSync(jsonOut, JSON.stringify(result, null, 2) + '\n');
  console.log(`\nwrote ${jsonOut}`);
}
