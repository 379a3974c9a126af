/**
 * One definition per concept (issue 11): the task list (src/data/task-names.ts), the special tokens of
 * our tokenizers (src/tokenizer/special.ts) and the trainer defaults (src/train/defaults.ts) are each
 * written once and imported everywhere else. These tests fail when a copy comes back, when a narrow
 * layer arrow of docs/architecture.md ("(task names)", "(special tokens)") starts to carry more, and
 * when `new Trainer(model)` and a run of `eyemulator train` stop training alike.
 */
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import yargs from 'yargs';
import { TASK_NAMES } from '../../src/data/task-names.ts';
import { TASK_NAMES as PUBLIC_TASK_NAMES } from '../../src/index.ts';
import { TASKS } from '../../src/eval/index.ts';
import { runConfigSchema, parseRunConfig, runTrainerOptions } from '../../src/train/config.ts';
import { experimentSchema } from '../../src/experiment/config.ts';
import { runSchema, trivialSchema } from '../../src/report/types.ts';
import { VARIANTS } from '../../src/weights/variants.ts';
import { DEFAULT_SPECIALS, SPECIAL_TOKENS } from '../../src/tokenizer/special.ts';
import { BYTE_SPECIALS } from '../../src/tokenizer/byte.ts';
import { DEFAULT_SPECIALS as TRAIN_SPECIALS } from '../../src/tokenizer/train.ts';
import { resolveTrainerOptions, TRAINER_DEFAULTS, type TrainerOptions } from '../../src/train/defaults.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { EngineArgumentError } from '../../src/native/errors.ts';
import trainCommand from '../../src/cli/commands/train.ts';
import { randomBatch, tinyModel, TINY } from '../helpers/tiny-model.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');
const rel = (abs: string) => relative(ROOT, abs).split('\\').join('/');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Source without comments (a comment may name a task or a token; code may not restate them). */
const code = (abs: string) => readFileSync(abs, 'utf8').replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:])\/\/[^\n]*/g, '$1');

/** Repo-relative targets of a file's relative imports and re-exports. */
function importsOf(abs: string): string[] {
  const out: string[] = [];
  for (const m of code(abs).matchAll(/(?:^(?:import|export)\b[^;]*?\bfrom\s*|\bimport\(\s*)['"](\.[^'"]+)['"]/gm)) out.push(rel(resolve(dirname(abs), m[1])));
  return out;
}

const files = walk(SRC);

test('the task list is written once, in src/data/task-names.ts', (t) => {
  const name = `['"](?:${TASK_NAMES.join('|')})['"]`;
  // Two task names side by side in a list, a union or a choices array is a copy of the list.
  const list = new RegExp(`${name}\\s*[,|]\\s*${name}`);
  const copies = files.filter((f) => rel(f) !== 'src/data/task-names.ts' && list.test(code(f))).map(rel);
  t.deepEqual(copies, [], 'import TASK_NAMES / TaskName from src/data/task-names.ts instead');
});

test('every task list in the code is TASK_NAMES', (t) => {
  t.deepEqual([...TASK_NAMES], ['translation', 'summarization', 'completion']);
  t.is(PUBLIC_TASK_NAMES, TASK_NAMES);
  t.is(TASKS, TASK_NAMES);
  t.deepEqual(runConfigSchema.shape.task.options, [...TASK_NAMES]);
  t.deepEqual(experimentSchema.shape.tasks.element.options, [...TASK_NAMES]);
  t.deepEqual(runSchema.shape.task.options, [...TASK_NAMES]);
  t.deepEqual(trivialSchema.shape.task.options, [...TASK_NAMES]);
});

test('the special tokens are written once, in src/tokenizer/special.ts', (t) => {
  const literal = /['"`]<\|(?:bos|eos|pad)\|>/;
  const copies = files.filter((f) => rel(f) !== 'src/tokenizer/special.ts' && literal.test(code(f))).map(rel);
  t.deepEqual(copies, [], 'import SPECIAL_TOKENS / DEFAULT_SPECIALS from src/tokenizer/special.ts instead');
  t.is(BYTE_SPECIALS, SPECIAL_TOKENS);
  t.is(TRAIN_SPECIALS, DEFAULT_SPECIALS);
  t.deepEqual([...DEFAULT_SPECIALS], [SPECIAL_TOKENS.bos, SPECIAL_TOKENS.eos, SPECIAL_TOKENS.pad]);
});

test('the package root and code-point counting are defined once (src/util/paths.ts, src/util/code-points.ts)', (t) => {
  // A surrogate range test is how code-point counting is written by hand; import.meta.url walked up
  // two folders is how a package root is.
  const surrogate = /0x[dD][89aAbBcC]00/;
  const counting = files.filter((f) => rel(f) !== 'src/util/code-points.ts' && surrogate.test(code(f))).map(rel);
  t.deepEqual(counting, [], 'import codePointLength / isPairTail from src/util/code-points.ts instead');
  const rootWalk = /fileURLToPath\(import\.meta\.url\)[^;\n]*['"]\.\.['"]/;
  const roots = files.filter((f) => rel(f) !== 'src/util/paths.ts' && rootWalk.test(code(f))).map(rel);
  t.deepEqual(roots, [], 'import packageRoot from src/util/paths.ts instead');
});

test('the shared definitions are leaves, and the narrow layer arrows reach only them', (t) => {
  for (const leaf of ['src/data/task-names.ts', 'src/tokenizer/special.ts']) t.deepEqual(importsOf(join(ROOT, leaf)), [], `${leaf} imports nothing`);
  // docs/architecture.md: eval → data (task names), report → data (task names), model → tokenizer (special tokens).
  const arrows: Array<[from: string, to: string, allowed: string[]]> = [
    ['src/eval/', 'src/data/', ['src/data/task-names.ts']],
    ['src/report/', 'src/data/', ['src/data/task-names.ts', 'src/data/prompt.ts']],
    ['src/model/', 'src/tokenizer/', ['src/tokenizer/special.ts']],
  ];
  t.deepEqual(importsOf(join(ROOT, 'src/data/prompt.ts')), ['src/data/task-names.ts'], 'prompt.ts (the TaskName the report uses) stays a leaf over task-names.ts');
  const bad: string[] = [];
  for (const [from, to, allowed] of arrows)
    for (const f of files.filter((x) => rel(x).startsWith(from)))
      for (const target of importsOf(f)) if (target.startsWith(to) && !allowed.includes(target)) bad.push(`${rel(f)} → ${target}`);
  t.deepEqual(bad, []);
});

/** Runs `train …` through yargs in this process; resolves with the error yargs or the handler raised. */
async function trainCli(args: string[]): Promise<Error> {
  try {
    await yargs().command(trainCommand).strict().exitProcess(false).fail((msg, err) => { throw err ?? new Error(msg); }).parseAsync(['train', ...args]);
  } catch (e) {
    return e as Error;
  }
  throw new Error('train ran to the end');
}

test('train --task and --variant take their choices from TASK_NAMES and VARIANTS; valid values pass as before', async (t) => {
  const badTask = await trainCli(['--out', 'x', '--task', 'poetry']);
  t.regex(badTask.message, /Invalid values:[\s\S]*task[\s\S]*"translation", "summarization", "completion"/);
  const badVariant = await trainCli(['--out', 'x', '--task', 'translation', '--variant', 'fancy']);
  t.regex(badVariant.message, new RegExp(`Invalid values:[\\s\\S]*variant[\\s\\S]*${VARIANTS.map((v) => `"${v}"`).join(', ')}`));
  // A valid task and variant get past yargs to the run config, which then asks for the model.
  for (const task of TASK_NAMES) {
    const e = await trainCli(['--out', 'x', '--task', task, '--variant', 'baseline']);
    t.regex(e.message, /give exactly one of model .* or init/, task);
  }
});

// --- trainer defaults ----------------------------------------------------------------------------

const RUN_FIELDS = ['lr', 'schedule', 'minLrRatio', 'weightDecay', 'maxGradNorm', 'normalizeByWeights', 'gamma', 'beta', 'gradientCheckpointing'] as const;

test('the run config takes its training defaults from TRAINER_DEFAULTS', (t) => {
  const c = parseRunConfig({ task: 'translation', model: 'm', variant: 'full' });
  for (const k of RUN_FIELDS) t.is(c[k], TRAINER_DEFAULTS[k], k);
  // Its map to Trainer options restates none: resolved, it is what the API gives, for any step budget.
  for (const totalSteps of [0, 7, 40, 1000])
    t.deepEqual(resolveTrainerOptions(runTrainerOptions(c, { totalSteps, weighted: true })), resolveTrainerOptions({ totalSteps }), `totalSteps ${totalSteps}`);
  // The baseline has no weights, so no preference term: γ = 0, everything else the same.
  const base = resolveTrainerOptions(runTrainerOptions(parseRunConfig({ task: 'translation', model: 'm' }), { totalSteps: 40, weighted: false }));
  t.deepEqual(base, { ...resolveTrainerOptions({ totalSteps: 40 }), gamma: 0 });
});

test('every option the engine reads gets its value from TRAINER_DEFAULTS (the engine\'s own fallbacks are never used)', (t) => {
  const wrap = readFileSync(join(ROOT, 'binding/trainer_wrap.cpp'), 'utf8');
  const ctor = wrap.slice(wrap.indexOf('TrainerWrap::TrainerWrap('), wrap.indexOf('Napi::Value TrainerWrap::Step('));
  const read = new Set([...ctor.matchAll(/(?:number_option\(o, |num_opt\(o, |o\.Get\()"(\w+)"/g)].map((m) => m[1]));
  t.true(read.size >= 14, `read ${[...read].join(', ')}`);
  const resolved = resolveTrainerOptions() as Record<string, unknown>;
  t.deepEqual([...read].filter((k) => resolved[k] === undefined), [], 'give these a default in TRAINER_DEFAULTS');
});

test('TrainerOptions documents each default as TRAINER_DEFAULTS has it', (t) => {
  const src = readFileSync(join(ROOT, 'src/train/defaults.ts'), 'utf8');
  const body = src.slice(src.indexOf('export interface TrainerOptions'), src.indexOf('\n}\n', src.indexOf('export interface TrainerOptions')));
  for (const [k, v] of Object.entries(TRAINER_DEFAULTS)) {
    const m = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*${k}\\?:`).exec(body);
    if (!m) { t.fail(`TrainerOptions has no documented field ${k}`); continue; }
    const said = /Default ([^\s,;)]+)/.exec(m[1].replace(/\s*\*\s*/g, ' '))?.[1].replace(/\.$/, '');
    t.is(said === undefined ? undefined : typeof v === 'string' ? said.replace(/^'|'$/g, '') : typeof v === 'boolean' ? String(v) : String(Number(said)), String(v), `${k}: the docs say ${said}`);
  }
});

test('resolveTrainerOptions: missing or undefined fields take the default; the warm-up is 5% of the steps unless given; a bad warmupRatio is refused', (t) => {
  const r = resolveTrainerOptions({ lr: undefined, totalSteps: 100 });
  t.is(r.lr, TRAINER_DEFAULTS.lr);
  t.is(r.warmupSteps, Math.round(TRAINER_DEFAULTS.warmupRatio * 100));
  t.is(resolveTrainerOptions({ totalSteps: 100, warmupSteps: 0 }).warmupSteps, 0);
  t.is(resolveTrainerOptions({ totalSteps: 100, warmupRatio: 0.2 }).warmupSteps, 20);
  t.is(resolveTrainerOptions().warmupSteps, 0);
  t.is(resolveTrainerOptions({ weightDecay: 0, gamma: 0 }).weightDecay, 0);
  for (const warmupRatio of [-0.1, 1.5, NaN, '0.1' as unknown as number]) {
    const e = t.throws(() => resolveTrainerOptions({ warmupRatio }), { instanceOf: EngineArgumentError });
    t.regex(e!.message, /warmupRatio must be a number in \[0, 1\]/);
  }
});

test('new Trainer(model) and the Trainer of a run config get identical options, schedules and updates', async (t) => {
  const totalSteps = 40;
  const config = parseRunConfig({ task: 'translation', model: 'm', variant: 'full' });
  const fromRun = runTrainerOptions(config, { totalSteps, weighted: true });
  const make = async (options: TrainerOptions) => {
    const { model } = await tinyModel(TINY, { seed: 3, dtype: 'float64' });
    return new Trainer(model, options);
  };
  const api = await make({ totalSteps });
  const run = await make(fromRun);
  try {
    t.deepEqual(api.options, run.options);
    t.deepEqual(api.options, resolveTrainerOptions({ totalSteps }));
    // The engine got them: the same rates at every step — the CLI's warm-up and cosine decay to the floor.
    const rates = (tr: Trainer) => Array.from({ length: totalSteps + 1 }, (_, s) => tr.learningRate(s));
    t.deepEqual(rates(api), rates(run));
    t.is(api.learningRate(0), TRAINER_DEFAULTS.lr / 2);  // warm-up of round(0.05 · 40) = 2 steps
    t.true(Math.abs(api.learningRate(totalSteps) - TRAINER_DEFAULTS.minLrRatio * TRAINER_DEFAULTS.lr) < 1e-15);
    // …and the same update (weight decay 0.01 included): bit-identical weights after a step.
    const b = randomBatch(TINY.vocabSize, 2, 8, 11);
    await api.step(b);
    await run.step(b);
    const w = (tr: Trainer) => tr.model.getParameter('model.layers.0.self_attn.q_proj.weight').data;
    t.deepEqual(w(api), w(run));
    const plain = await make({ totalSteps, weightDecay: 0 });
    await plain.step(b);
    t.notDeepEqual(w(plain), w(api), 'the default weight decay reaches the engine');
    plain.model.dispose();
  } finally {
    api.model.dispose();
    run.model.dispose();
  }
});
