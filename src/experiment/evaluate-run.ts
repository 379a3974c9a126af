/**
 * Evaluating a finished training run (METHOD.md §7): greedy decoding of every validation example
 * with the run's model (base + adapter, or the fine-tuned folder), stop at EOS or maxNewTokens,
 * then every metric with its per-example samples. Writes into the run folder:
 *
 *   predictions.jsonl   {"id","input","prediction","reference","finish","tokens","meanLogprob"} per line
 *   eval.json           the scores (0–100), n, prompt truncation, decoding statistics, seconds
 *   result.json         the run in the report's results format (src/report/types.ts RunResult):
 *                       per-example metric samples, the training curve, attention diagnostics
 *                       (read back with readRunResult, src/train/run-dir.ts)
 *
 * Prompts longer than the model's context minus maxNewTokens have their input code cut from the
 * end (never silently: the count is in eval.json and printed).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Model } from '../model/model.ts';
import { loadModelTokenizer, type ModelTokenizer } from '../model/tokenizer.ts';
import { generateText } from '../model/generation.ts';
import { parseRunConfig, type RunConfig } from '../train/config.ts';
import { curveFrom, readTrainSummary, writeRunResult } from '../train/run-dir.ts';
import { loadTask, type TaskExample } from '../data/tasks.ts';
import { resolveTaskSource } from '../data/source.ts';
import { drawSubset } from '../data/subset.ts';
import { fitExample, newTruncationReport, type TruncationReport } from '../data/truncation.ts';
import { evaluate, type EvalScores } from '../eval/index.ts';
import { runFromEvaluation, type ExampleRef, type RunResult } from '../report/types.ts';
import { InputError, OptionError } from '../util/errors.ts';
import { readJsonFile, writeJsonAtomic, writeTextAtomic } from '../util/json.ts';

export interface EvalRunOptions {
  threads?: number;
  log?: (line: string) => void;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Compute attention diagnostics on the first n examples (default: the run config's attentionN). */
  attentionN?: number;
}

export interface EvalRunSummary extends EvalScores {
  codexglueAccuracy: number;
  promptTruncation: TruncationReport;
  finish: Record<string, number>;
  meanNewTokens: number;
  seconds: number;
}

/** The regime name of a run: "full" or "n=<trainN>". */
export function regimeOf(c: RunConfig): string {
  return c.trainN === undefined ? 'full' : `n=${c.trainN}`;
}

/** The validation examples a run is evaluated on: the valid file, first evalN in file order. */
export async function validExamples(c: RunConfig): Promise<TaskExample[]> {
  const task = await loadTask(resolveTaskSource(c.task, c.valid, 'valid'));
  if (c.evalN !== undefined && c.evalN > task.examples.length) throw new OptionError(`evalN ${c.evalN} is larger than the ${task.examples.length} validation examples`);
  return c.evalN === undefined ? task.examples : task.examples.slice(0, c.evalN);
}

/** Training targets of a run (its subset), whose frequent n-grams CrystalBLEU ignores. */
export async function trainTargets(c: RunConfig): Promise<string[]> {
  const task = await loadTask(resolveTaskSource(c.task, c.train, 'train'));
  const pool = c.trainN === undefined ? task.examples : drawSubset(task.examples, c.trainN, c.subsetSeed);
  return pool.map((e) => e.target);
}

/** Input length in model tokens, the unit of the report's short/long split. */
export async function inputLengths(tok: ModelTokenizer, examples: readonly TaskExample[]): Promise<ExampleRef[]> {
  const out: ExampleRef[] = [];
  for (const e of examples) out.push({ id: e.id, inputLength: (await tok.tokenizer.encode(e.input, null, { addSpecialTokens: false })).getIds().length });
  return out;
}

function contextLength(modelDir: string): number {
  const cfg = readJsonFile<Record<string, unknown>>(join(modelDir, 'config.json'));
  const n = (cfg.max_position_embeddings ?? cfg.n_positions) as number | undefined;
  return Number.isInteger(n) ? (n as number) : 2048;
}

interface Prediction { id: string; input: string; prediction: string; reference: string; finish: string; tokens: number; meanLogprob: number }

function readPredictions(path: string, n: number): Prediction[] | null {
  if (!existsSync(path)) return null;
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim());
  if (lines.length !== n) return null;
  return lines.map((l, i) => {
    try {
      return JSON.parse(l) as Prediction;
    } catch (e) {
      throw new InputError(`not valid JSON (${(e as Error).message}); delete the file to regenerate`, { file: path, line: i + 1 });
    }
  });
}

export async function evaluateRun(runDir: string, o: EvalRunOptions = {}): Promise<{ result: RunResult; summary: EvalRunSummary }> {
  runDir = resolve(runDir);
  const log = o.log ?? (() => {});
  const cfgPath = join(runDir, 'config.json');
  if (!existsSync(cfgPath)) throw new InputError('not a run folder (no config.json)', { file: runDir });
  const c = parseRunConfig(readJsonFile(cfgPath), cfgPath);
  const trained = readTrainSummary(runDir);
  if (!trained) throw new InputError('the run has not finished training (no train-done.json): finish it with `eyemulator train --resume`', { file: runDir });
  const t0 = performance.now();
  const examples = await validExamples(c);
  const tok = await loadModelTokenizer(trained.modelDir, c.tokenizer && c.model ? resolve(c.tokenizer) : undefined);
  const refs = await inputLengths(tok, examples);

  // Fit prompts: BOS + prompt + maxNewTokens ≤ context (fitExample counts BOS + EOS, hence + 1).
  const ctx = contextLength(trained.modelDir);
  const budget = ctx - c.maxNewTokens + 1;
  if (budget < 16) throw new OptionError(`maxNewTokens ${c.maxNewTokens} leaves no room for a prompt in the model's ${ctx}-token context`);
  const promptTruncation = newTruncationReport(budget);
  const prompts: string[] = [];
  for (const e of examples) {
    const fit = await fitExample(tok.tokenizer as never, c.task, e.input, '', budget, promptTruncation, e.id);
    if (!fit) throw new InputError(`the prompt template alone does not fit the model context ${ctx} with maxNewTokens ${c.maxNewTokens}`, { file: e.source.file, line: e.source.line });
    prompts.push(fit.prompt);
  }
  if (promptTruncation.truncatedInputs > 0) log(`input code cut to fit the context in ${promptTruncation.truncatedInputs} of ${examples.length} prompts`);

  // The run's model is loaded at most once per evaluation, for generation and attention alike.
  let loaded: Model | null = null;
  const runModel = async (): Promise<Model> => {
    if (!loaded) {
      loaded = await Model.load(trained.modelDir, { dtype: c.dtype, threads: o.threads ?? c.threads, device: c.device });
      if (trained.adapterDir) await loaded.loadAdapter(trained.adapterDir);
    }
    return loaded;
  };
  try {
    const predPath = join(runDir, 'predictions.jsonl');
    let preds = readPredictions(predPath, examples.length);
    if (!preds || preds.some((p, i) => p.id !== examples[i].id)) {
      const model = await runModel();
      // Decode in order of prompt length so each batch pads little; results go back in file order.
      const order = prompts.map((_, i) => i).sort((a, b) => prompts[a].length - prompts[b].length);
      const gens = await generateText(model, tok, order.map((i) => prompts[i]), {
        maxNewTokens: c.maxNewTokens, batchSize: c.evalBatchSize, threads: o.threads ?? c.threads, onProgress: o.onProgress, signal: o.signal,
      });
      const byIndex = new Array<(typeof gens)[number]>(examples.length);
      order.forEach((i, k) => { byIndex[i] = gens[k]; });
      preds = examples.map((e, i) => ({
        id: e.id, input: e.input, prediction: byIndex[i].text, reference: e.target, finish: byIndex[i].finish, tokens: byIndex[i].tokens, meanLogprob: byIndex[i].meanLogprob,
      }));
      writeTextAtomic(predPath, preds.map((p) => JSON.stringify(p)).join('\n') + '\n');
    }

    const ev = await evaluate(preds.map((p) => ({ prediction: p.prediction, reference: p.reference, input: p.input })), c.task, { trainTargets: await trainTargets(c) });
    const finish: Record<string, number> = {};
    for (const p of preds) finish[p.finish] = (finish[p.finish] ?? 0) + 1;
    const { task: _t, perExample: _p, samples: _s, ...scores } = ev;
    const summary: EvalRunSummary = {
      ...scores, promptTruncation, finish, meanNewTokens: preds.reduce((a, p) => a + p.tokens, 0) / Math.max(preds.length, 1), seconds: (performance.now() - t0) / 1000,
    };
    const result = runFromEvaluation({ variant: c.variant, seed: c.seed, task: c.task, regime: regimeOf(c), curve: curveFrom(runDir) }, refs, ev);

    const attentionN = o.attentionN ?? c.attentionN;
    if (attentionN > 0) {
      const { runAttentionForRun } = await import('./attention-run.ts');
      const diag = await runAttentionForRun(c, trained, tok, examples.slice(0, attentionN), { threads: o.threads ?? c.threads, log, model: await runModel() });
      result.diagnostics = diag.values;
      result.diagnosticIds = diag.ids;
      writeJsonAtomic(join(runDir, 'attention.json'), diag);
    }
    // eval.json before result.json: a cell counts as evaluated when result.json parses.
    writeJsonAtomic(join(runDir, 'eval.json'), summary);
    writeRunResult(runDir, result);
    return { result, summary };
  } finally {
    if (loaded) await (loaded as Model).dispose();
  }
}
