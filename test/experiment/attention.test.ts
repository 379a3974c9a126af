import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attentionDiagnostics, DIAGNOSTIC_NAMES } from '../../src/experiment/attention.ts';
import { codePointLength } from '../../src/util/code-points.ts';
import { attentionEntropy, codeTokenMass, headAverage, promptLayout, summarizeAttention } from '../../src/eval/attention.ts';
import { averageRanks, spearman, summarize } from '../../src/eval/stats.ts';
import { Model } from '../../src/model/model.ts';
import { loadModelTokenizer } from '../../src/model/tokenizer.ts';
import { buildPrompt } from '../../src/data/prompt.ts';
import { loadTask } from '../../src/data/tasks.ts';
import { byteTokenizerJson, byteTokenizerConfig, BYTE_BOS, BYTE_EOS, BYTE_PAD, BYTE_VOCAB_SIZE } from '../../src/tokenizer/byte.ts';
import { demoDataDir } from '../helpers/demo-data.ts';
import { tempDir } from '../helpers/tiny-model.ts';

const close = (a: number, b: number, tol = 1e-12) => Math.abs(a - b) <= tol;

// --- pure functions against hand-computed values -------------------------------------------------

test('entropy of a renormalised distribution (nats), excluded positions ignored', (t) => {
  // p = (1/2, 1/4, 1/4): H = ½ln2 + ¼ln4 + ¼ln4 = 1.5 ln 2
  t.true(close(attentionEntropy([0.5, 0.25, 0.25]), 1.5 * Math.LN2));
  // same shape behind a BOS that takes 60% of the raw mass and is excluded; raw mass sums to 1
  t.true(close(attentionEntropy([0.6, 0.2, 0.1, 0.1], [0, 1, 1, 1]), 1.5 * Math.LN2));
  // unnormalised input is renormalised: uniform over 4 → ln 4, the maximum
  t.true(close(attentionEntropy([3, 3, 3, 3]), Math.log(4)));
  t.is(attentionEntropy([0, 1, 0]), 0, 'all mass on one position');
  t.true(Number.isNaN(attentionEntropy([0.5, 0, 0], [0, 1, 1])), 'no included mass: undefined');
});

test('average ranks and Spearman with ties match a hand computation (and scipy)', (t) => {
  t.deepEqual([...averageRanks([10, 20, 20, 30])], [1, 2.5, 2.5, 4]);
  t.deepEqual([...averageRanks([3, 1, 3, 3])], [3, 1, 3, 3]);
  // ranks x = (1, 2.5, 2.5, 4, 5), y = (1, 4, 2.5, 2.5, 5); centred on 3:
  // Σdxdy = 4 − 0.5 + 0.25 − 0.5 + 4 = 7.25, Σdx² = Σdy² = 9.5 → ρ = 7.25/9.5
  // (scipy.stats.spearmanr([1,2,2,3,4],[10,30,20,20,50]) = 0.7631578947368421)
  t.true(close(spearman([1, 2, 2, 3, 4], [10, 30, 20, 20, 50])!, 7.25 / 9.5));
  t.true(close(spearman([1, 2, 3, 4], [8, 6, 4, 2])!, -1));
  t.true(close(spearman([1, 2, 3], [1, 5, 100])!, 1), 'rank-based: any increasing relation is 1');
  t.is(spearman([1, 2], [2, 1]), null, 'fewer than 3 values: undefined');
  t.is(spearman([1, 2, 3], [5, 5, 5]), null, 'no variation: undefined');
  t.is(spearman([1, 1, 1], [1, 2, 3]), null);
  t.is(spearman([1, 2, 3], [1, 2]), null);
});

test('mass aggregation from model tokens to code tokens sums every overlapping model token', (t) => {
  // model tokens: BOS [0,0), "ab" [0,2), "c d" [2,5), "e" [5,6); code tokens [0,1), [1,3), [4,6)
  const offsets = Int32Array.from([0, 0, 0, 2, 2, 5, 5, 6]);
  const mass = [0.5, 0.1, 0.3, 0.2];
  const m = codeTokenMass(mass, offsets, Int32Array.from([0, 1, 1, 3, 4, 6]), [0, 1, 1, 1]);
  t.true(close(m[0], 0.1));
  t.true(close(m[1], 0.1 + 0.3), '"ab" and "c d" both overlap [1,3)');
  t.true(close(m[2], 0.3 + 0.2));
  t.throws(() => codeTokenMass([1, 2], offsets, Int32Array.from([0, 1])), { instanceOf: RangeError });
});

test('head averaging and code-point lengths', (t) => {
  // [steps 2, heads 2, n 3]
  const a = headAverage([1, 0, 0, 0, 1, 0, 0.2, 0.4, 0.4, 0.4, 0.4, 0.2], 2, 2, 3);
  t.deepEqual([...a].map((x) => +x.toFixed(12)), [0.5, 0.5, 0, 0.3, 0.4, 0.3]);
  t.is(codePointLength('a😀é'), 3);
});

test('layout and summaries: focus, recency, entropy on synthetic attention; misalignment would show', (t) => {
  // prompt "AB:xyz;C" in code points; code = "xyz" at [3,6). Model tokens:
  // 0 BOS [0,0) special | 1 "AB" [0,2) | 2 ":" [2,3) | 3 "x" [3,4) | 4 "yz" [4,6) | 5 ";C" [6,8)
  const offsets = Int32Array.from([0, 0, 0, 2, 2, 3, 3, 4, 4, 6, 6, 8]);
  const layout = promptLayout(offsets, [1, 0, 0, 0, 0, 0], [3, 6], 2);
  t.deepEqual([...layout.included], [0, 1, 1, 1, 1, 1]);
  t.deepEqual([...layout.code], [0, 0, 0, 1, 1, 0]);
  t.deepEqual([...layout.recent], [0, 0, 0, 0, 1, 1]);
  // step 0: BOS sink 0.5, all the rest on "yz" (code token 1); step 1: BOS 0.2, "yz" 0.8
  const avg = [0.5, 0, 0, 0, 0.5, 0, 0.2, 0, 0, 0, 0.8, 0];
  const s = summarizeAttention(avg, 2, layout);
  t.is(s.focus, 1, 'all included mass on code');
  t.is(s.entropy, 0, 'one position');
  t.is(s.recency, 1, '"yz" is among the last 2 included positions');
  t.true(close(s.specialShare, (0.5 + 0.2) / 2));
  t.deepEqual([...s.positionMass].map((x) => +x.toFixed(12)), [0.7, 0, 0, 0, 1.3, 0]);
  // code tokens "x" [3,4) and "yz" [4,6): the second gets all the mass, the first none
  const m = codeTokenMass(s.positionMass, layout.offsets, Int32Array.from([3, 4, 4, 6]), layout.included);
  t.deepEqual([...m].map((x) => +x.toFixed(12)), [0, 1.3]);
  // a hand case with spread: step 0 over included = (0.1, 0.1, 0.2, 0.3, 0.3) of 1 (no BOS mass)
  const s2 = summarizeAttention([0, 0.1, 0.1, 0.2, 0.3, 0.3], 1, layout);
  t.true(close(s2.focus, 0.5));
  t.true(close(s2.recency, 0.6));
  const h = -(2 * 0.1 * Math.log(0.1) + 0.2 * Math.log(0.2) + 2 * 0.3 * Math.log(0.3));
  t.true(close(s2.entropy, h));
  t.true(s2.entropy <= Math.log(5));
  // off by one position (a misaligned layout) changes focus: the check above is not vacuous
  const shifted = promptLayout(offsets, [1, 0, 0, 0, 0, 0], [4, 7], 2);
  t.is(summarizeAttention([0, 0, 0, 1, 0, 0], 1, layout).focus, 1, '"x" is code');
  t.is(summarizeAttention([0, 0, 0, 1, 0, 0], 1, shifted).focus, 0, '"x" is outside the shifted code span');
});

test('summaries are JSON-safe: nulls, no NaN', (t) => {
  t.deepEqual(summarize([]), { n: 0, mean: null, std: null, ci95: null });
  t.deepEqual(summarize([null, null]), { n: 0, mean: null, std: null, ci95: null });
  const s = summarize([1, null, 3]);
  t.is(s.n, 2);
  t.is(s.mean, 2);
  t.true(s.ci95![0] < 2 && s.ci95![1] > 2);
  t.deepEqual(summarize([5]).ci95, [5, 5]);
});

// --- end to end on a tiny byte-level model ------------------------------------------------------


async function byteModel(): Promise<string> {
  const dir = join(tempDir(), 'm');
  const m = await Model.create(dir, {
    arch: 'llama', vocabSize: BYTE_VOCAB_SIZE, hiddenSize: 32, layers: 2, heads: 4, kvHeads: 2,
    bosTokenId: BYTE_BOS, eosTokenId: BYTE_EOS, padTokenId: BYTE_PAD,
  }, { seed: 3 });
  m.dispose();
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(byteTokenizerJson()));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(byteTokenizerConfig()));
  return dir;
}

test('diagnostics of a tiny model on 3 real CodeXGLUE examples', async (t) => {
  const dir = await byteModel();
  const tok = await loadModelTokenizer(dir);
  const model = await Model.load(dir);
  const data = await loadTask({ kind: 'codexglue', dir: demoDataDir, split: 'valid' });
  const progress: number[] = [];
  const r = await attentionDiagnostics(model, tok, data.examples, { n: 3, maxNewTokens: 6, recencyK: 8, onProgress: (d) => progress.push(d) });
  t.deepEqual(r.ids, data.examples.slice(0, 3).map((e) => e.id));
  t.deepEqual(progress, [0, 1, 2, 3]);
  t.is(r.settings.layer, 1, 'last layer by default');
  t.is(r.skipped.total, 0);
  for (const k of DIAGNOSTIC_NAMES) t.is(r.values[k].length, 3, `${k} aligned with ids`);
  for (let i = 0; i < 3; i++) {
    const e = r.examples[i];
    const ex = data.examples[i];
    for (const k of ['confidence', 'entropy', 'focus', 'recency', 'specialShare'] as const) t.true(Number.isFinite(e[k]), `${e.id} ${k}`);
    t.true(e.entropy >= 0 && e.entropy <= Math.log(e.promptTokens) + 1e-9, `entropy ${e.entropy} ≤ ln ${e.promptTokens}`);
    t.true(e.entropy <= Math.log(e.includedPositions) + 1e-9);
    t.true(e.focus >= 0 && e.focus <= 1);
    t.true(e.recency >= 0 && e.recency <= 1);
    t.true(e.specialShare >= 0 && e.specialShare < 1);
    t.true(e.confidence <= 0);
    // the prompt is what generation (ModelTokenizer.encode) feeds: BOS + one byte per UTF-8 byte
    const ids = await tok.encode(buildPrompt('translation', ex.input));
    t.is(e.promptTokens, ids.length);
    t.is(e.includedPositions, ids.length - 1, 'only BOS is excluded');
    t.is(e.codePositions, Buffer.byteLength(ex.input, 'utf8'), 'byte tokens over the code');
    // confidence = mean of the generation's log-probs (an independent greedy run)
    const [g] = await model.generate([ids], { maxNewTokens: 6, eosIds: tok.eosIds, padId: tok.padId });
    t.is(e.generatedTokens, g.tokens.length);
    const mean = g.logprobs.reduce((a, b) => a + b, 0) / g.logprobs.length;
    // float32 model: the diagnostics run the explicit attention (it captures weights), plain
    // generation SDPA — the two kernels agree to float32 rounding (measured 8e-8), not to 1e-9.
    t.true(Math.abs(e.confidence - mean) < 1e-6, `${e.confidence} vs ${mean}`);
    t.is(r.values.confidence[i], e.confidence);
    if (e.humanAlignment === null) t.truthy(e.alignmentNote);
    else {
      t.true(e.humanAlignment >= -1 && e.humanAlignment <= 1);
      t.true(e.alignmentTokens >= 3);
    }
  }
  t.is(r.alignmentExcluded.total, r.values.humanAlignment.filter((x) => x === null).length);
  t.is(r.summary.humanAlignment.n, 3 - r.alignmentExcluded.total);
  t.is(r.summary.confidence.n, 3);
  t.false(JSON.stringify(r).includes('NaN'));
  t.deepEqual(JSON.parse(JSON.stringify(r.values)), r.values, 'values survive JSON');
  t.true(r.settings.priorsCitations.some((c) => /EyeTrans/.test(c)));

  // batched decoding (left padding) gives the same diagnostics: padding never enters the rows
  const rb = await attentionDiagnostics(model, tok, data.examples, { n: 3, maxNewTokens: 6, batchSize: 3 });
  for (const k of ['confidence', 'entropy', 'focus', 'recency'] as const)
    rb.values[k].forEach((v, i) => t.true(Math.abs(v - r.values[k][i]) < 1e-4, `batched ${k} ${v} vs ${r.values[k][i]}`));

  // options are checked
  await t.throwsAsync(attentionDiagnostics(model, tok, data.examples, { layer: 2 }), { message: /layer must be/ });
  await t.throwsAsync(attentionDiagnostics(model, tok, data.examples, { recencyK: 0 }), { message: /recencyK/ });
  const sk = await attentionDiagnostics(model, tok, data.examples, { n: 2, maxNewTokens: 2, maxPromptTokens: 100 });
  t.is(sk.skipped.total + sk.ids.length, 2);
  t.true(sk.skipped.items.every((s) => /prompt longer than 100/.test(s.reason)));
  model.dispose();
});

const run = promisify(execFile);
const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: process.cwd() });

test('eyemulator attention: table, JSON out, typed errors', async (t) => {
  const dir = await byteModel();
  const valid = join(demoDataDir, 'valid.java-cs.txt.java');
  const out = join(tempDir(), 'attn.json');
  const r = await cli(['attention', '--model', dir, '--data', demoDataDir, '--task', 'translation', '--n', '2', '--max-new-tokens', '3', '--out', out]);
  t.regex(r.stdout, /confidence \(mean log-prob\)\s+2\s+-?\d+\.\d{4}\s+\[/);
  t.regex(r.stdout, /human alignment/);
  t.regex(r.stdout, /EyeTrans/);
  const doc = JSON.parse(readFileSync(out, 'utf8'));
  t.is(doc.ids.length, 2);
  t.is(doc.examples.length, 2);
  t.is(doc.values.entropy.length, 2);
  t.is(doc.settings.layer, 1);
  const j = JSON.parse((await cli(['attention', '--model', dir, '--data', valid, '--task', 'translation', '--n', '1', '--max-new-tokens', '2', '--json', '--layer', '0'])).stdout);
  t.is(j.settings.layer, 0);
  t.is(j.ids[0], 'codexglue-java-cs/valid:1');
  const e1 = await t.throwsAsync(cli(['attention', '--model', dir, '--data', '/nonexistent/x.jsonl', '--task', 'translation']));
  t.regex((e1 as unknown as { stderr: string }).stderr, /\/nonexistent\/x\.jsonl: no such file/);
  const e2 = await t.throwsAsync(cli(['attention', '--model', dir, '--data', valid, '--task', 'summarization']));
  t.regex((e2 as unknown as { stderr: string }).stderr, /translation pairs/);
  const e3 = await t.throwsAsync(cli(['attention', '--model', dir, '--data', valid, '--task', 'translation', '--recency-k', '0']));
  t.regex((e3 as unknown as { stderr: string }).stderr, /--recency-k must be an integer ≥ 1/);
});
