/**
 * Experiment YAML validated whole before any work (src/experiment/config.ts): grid fields and every
 * cell's run config, errors naming the YAML file and the key path as written, every problem in one
 * message, "did you mean" for misspelt keys and values (edit distance ≤ 2).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExperiment, parseExperiment } from '../../src/experiment/config.ts';
import { closestMatch, levenshtein } from '../../src/util/schema.ts';
import { InputError } from '../../src/util/errors.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'eyemulator-expcfg-'));
const grid = { tasks: ['translation'], variants: ['baseline', 'full'], seeds: [1] };
const init = { hidden: 16, layers: 1, heads: 2 };

function problems(obj: unknown, file = 'experiments/x.yaml'): string[] {
  try {
    parseExperiment(obj, file);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return e.message.split('\n');
  }
  return [];
}

test('levenshtein and closestMatch', (t) => {
  t.is(levenshtein('kitten', 'sitting'), 3);
  t.is(levenshtein('', 'abc'), 3);
  t.is(levenshtein('epoch', 'epochs'), 1);
  t.is(levenshtein('lerning_rate', 'learning_rate'), 1);
  t.is(closestMatch('epoch', ['epochs', 'lr']), 'epochs');
  t.is(closestMatch('bachSize', ['batchSize', 'maxSteps']), 'batchSize');
  t.is(closestMatch('learningRate', ['lr', 'epochs']), null, 'beyond distance 2: no guess');
});

test('run fields are validated up front: file, key path, expected and got', (t) => {
  t.deepEqual(problems({ ...grid, run: { init, tokenizer: 't.json', lr: 'fast' } }), ['experiments/x.yaml: run.lr: expected a number, got "fast"']);
  t.deepEqual(problems({ ...grid, run: { init, tokenizer: 't.json', batchSize: 0 } }), ['experiments/x.yaml: run.batchSize: expected a number > 0, got 0']);
  t.deepEqual(problems({ ...grid, run: { init, tokenizer: 't.json', schedule: 'cosin' } }),
    ['experiments/x.yaml: run.schedule: expected one of "constant", "linear", "cosine", got "cosin" (did you mean cosine?)']);
  t.deepEqual(problems({ ...grid, run: { init: { ...init, hiden: 8 }, tokenizer: 't.json' } }), ['experiments/x.yaml: run.init.hiden: unknown key (did you mean hidden?)']);
  t.deepEqual(problems({ ...grid, run: {} }), ['experiments/x.yaml: run.model: give exactly one of model (an HF folder) or init (a shape to create)']);
});

test('misspelt keys get "did you mean"; every problem is listed, each line naming the file', (t) => {
  const p = problems({ ...grid, variant: ['full'], run: { init, epoch: 3, lr: 'fast', lerningRate: 1 }, tokenizer: { vocabSize: 500 } });
  t.deepEqual(p, [
    'experiments/x.yaml: variant: unknown key (did you mean variants?)',
    'experiments/x.yaml: run.lr: expected a number, got "fast"',
    'experiments/x.yaml: run.epoch: unknown key (did you mean epochs?)',
    'experiments/x.yaml: run.lerningRate: unknown key (known: task, train, valid, model, init, tokenizer, dtype, gradientCheckpointing, device, loraRank, loraAlpha, loraDropout, loraTargets, variant, priors, wBase, gamma, beta, paths, lossOn, normalizeByWeights, epochs, maxSteps, batchSize, gradAccum, lr, warmupSteps, schedule, minLrRatio, weightDecay, maxGradNorm, maxLength, trainN, subsetSeed, seed, threads, logEvery, evalN, maxNewTokens, evalBatchSize, attentionN)',
  ]);
  t.deepEqual(problems({ ...grid, variants: ['ful'], regimes: ['fulll'], run: { model: 'm' } }), [
    'experiments/x.yaml: variants.0: expected one of "baseline", "full", "reading", "writing", "random", "no-semantic", "no-rarity", "scale-matched", "shuffled", got "ful" (did you mean full?)',
    'experiments/x.yaml: regimes.0: expected "full" or a number, got "fulll" (did you mean full?)',
  ]);
});

test('a per-task override is reported where it was written; cell-dependent rules are checked per cell', (t) => {
  t.deepEqual(problems({ ...grid, run: { model: 'm' }, tasksRun: { translation: { maxLength: -4 } } }),
    ['experiments/x.yaml: tasksRun.translation.maxLength: expected a number > 0, got -4']);
  // Summaries with gaze weights need input+output loss: only the summarization cells with a non-baseline variant fail.
  t.deepEqual(problems({ tasks: ['translation', 'summarization'], variants: ['baseline', 'full'], seeds: [1], run: { model: 'm' } }),
    ['experiments/x.yaml: run.lossOn: summarization targets are English, which has no code tokens to weight: use lossOn "input+output" to weight the input code']);
  t.deepEqual(problems({ ...grid, run: { model: 'm' } }), []);
});

test('the shipped experiment configs validate', (t) => {
  for (const f of readdirSync(join(repo, 'experiments')).filter((n) => /\.ya?ml$/.test(n))) t.notThrows(() => loadExperiment(join(repo, 'experiments', f)), f);
});

test('CLI: a typo in the YAML fails before any work (no out folder, no tokenizer), naming the YAML and key', (t) => {
  const yaml = join(dir, 'typo.yaml');
  writeFileSync(yaml, [
    'tasks: [translation]', 'variants: [baseline, full]', 'seeds: [1]', 'tokenizer: { vocabSize: 500 }',
    'run:', '  init: { hidden: 16, layers: 1, heads: 2 }', '  lr: fast', '  epoch: 2', '',
  ].join('\n'));
  const out = join(dir, 'out');
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), 'experiment', yaml, '--out', out], { cwd: repo, encoding: 'utf8' });
  t.is(r.status, 1, r.stderr);
  t.is(r.stderr, `eyemulator: ${yaml}: run.lr: expected a number, got "fast"\n${yaml}: run.epoch: unknown key (did you mean epochs?)\n`);
  t.false(existsSync(out), 'nothing was created: no tokenizer was trained');
  t.log(`refused in ${Date.now() - t0} ms (process start included)`);
});
