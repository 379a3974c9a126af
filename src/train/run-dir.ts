/**
 * The records of a run folder, read and written in one place (the folder's layout is in run.ts's
 * header): the step log `metrics.jsonl`, the training summary `train-done.json` and the evaluated
 * result `result.json` (written by src/experiment/evaluate-run.ts, in the report's results format).
 * Training (run.ts), evaluation, the experiment runner and the CLI all go through these, so the
 * file names and their shapes are defined once. Nothing here loads a model or the engine.
 *
 * Writes are atomic (src/util: temp file + rename), so a reader sees the old file or the new one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TruncationReport } from '../data/truncation.ts';
import type { CurvePoint, RunResult } from '../report/types.ts';
import { InputError } from '../util/errors.ts';
import { readJsonFile, writeJsonAtomic, writeTextAtomic } from '../util/json.ts';

/** `train-done.json`: what a finished training run reports (written last, so it marks the run complete). */
export interface TrainRunSummary {
  runDir: string;
  steps: number;
  totalSteps: number;
  epochs: number;
  seconds: number;
  /** Mean training loss over the last 10% of steps. */
  finalLoss: number;
  trainExamples: number;
  truncation: TruncationReport;
  /** The model to decode with: the base folder (+ adapter) or the fine-tuned folder. */
  modelDir: string;
  adapterDir: string | null;
  resumedFromStep: number;
}

/** One optimizer step's line of `metrics.jsonl` (`{"type":"step",…}`; epoch lines are `{"type":"epoch",…}`). */
export interface StepRecord {
  type: 'step';
  step: number;
  epoch: number;
  loss: number;
  sft: number;
  pref: number;
  /** Plain mean CE on the loss positions (weights 1, no preference term); absent in older logs. */
  ce?: number;
  gradNorm: number;
  lr: number;
  /** Loss positions in the step. */
  tokens: number;
  /** Sequence positions processed (padding included). */
  seqTokens: number;
  tokensPerS: number;
  elapsedS: number;
  /** Data-parallel: rank 0's seconds in collectives this step, and of those in the gradient all-reduce. */
  commS?: number;
  gradAllreduceS?: number;
}

/**
 * The step lines of RUN/metrics.jsonl in file order (epoch lines skipped); [] when the file does not
 * exist yet. A line that is not JSON is an InputError naming file:line.
 */
export function readStepRecords(runDir: string): StepRecord[] {
  const p = join(runDir, 'metrics.jsonl');
  if (!existsSync(p)) return [];
  const out: StepRecord[] = [];
  readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let j: { type?: string };
    try {
      j = JSON.parse(line);
    } catch (e) {
      throw new InputError(`not valid JSON (${(e as Error).message})`, { file: p, line: i + 1 });
    }
    if (j.type === 'step') out.push(j as StepRecord);
  });
  return out;
}

/**
 * Keeps the lines of the metrics file at `path` up to `step` (a step line's `step`, an epoch line's
 * `epochEndStep`): a resumed run rewrites what came after its saved state. A torn last line (a kill
 * mid-append) is dropped; a bad line before the end is an InputError naming file:line. No file: no-op.
 */
export function truncateMetrics(path: string, step: number): void {
  if (!existsSync(path)) return;
  const lines = readFileSync(path, 'utf8').split('\n');
  const kept = lines.filter((l, i) => {
    if (!l.trim()) return false;
    let j: { step?: number; type?: string; epochEndStep?: number };
    try {
      j = JSON.parse(l);
    } catch (e) {
      // A kill mid-append tears the last line only: it is after the saved state, so it goes.
      if (lines.slice(i + 1).every((r) => !r.trim())) return false;
      throw new InputError(`not valid JSON (${(e as Error).message})`, { file: path, line: i + 1 });
    }
    return (j.step ?? j.epochEndStep ?? 0) <= step;
  });
  writeTextAtomic(path, kept.map((l) => l + '\n').join(''));
}

/** Writes RUN/train-done.json (atomically): the run is complete once it exists. */
export function writeTrainSummary(runDir: string, summary: TrainRunSummary): void {
  writeJsonAtomic(join(runDir, 'train-done.json'), summary);
}

/** The summary of a finished run folder, or null when it has not finished training. */
export function readTrainSummary(runDir: string): TrainRunSummary | null {
  const p = join(runDir, 'train-done.json');
  return existsSync(p) ? readJsonFile<TrainRunSummary>(p) : null;
}

/**
 * The training curve from RUN/metrics.jsonl, thinned to at most `max` points (default 200): per bin
 * of ceil(steps / max) consecutive steps, the last step's number, the mean objective (`loss`) and,
 * when every step of the bin logged it, the mean plain CE (`ce`). [] before the first step.
 */
export function curveFrom(runDir: string, max = 200): CurvePoint[] {
  const steps = readStepRecords(runDir);
  const per = Math.max(1, Math.ceil(steps.length / max));
  const out: CurvePoint[] = [];
  for (let i = 0; i < steps.length; i += per) {
    const bin = steps.slice(i, i + per);
    const p: CurvePoint = { step: bin[bin.length - 1].step, loss: bin.reduce((a, s) => a + s.loss, 0) / bin.length };
    if (bin.every((s) => typeof s.ce === 'number' && Number.isFinite(s.ce))) p.ce = bin.reduce((a, s) => a + s.ce!, 0) / bin.length;
    out.push(p);
  }
  return out;
}

/** Writes RUN/result.json (atomically), the run in the report's results format. */
export function writeRunResult(runDir: string, result: RunResult): void {
  writeTextAtomic(join(runDir, 'result.json'), JSON.stringify(result) + '\n');
}

/**
 * A run folder's stored result (null: not evaluated yet). A result.json that is not JSON (a torn
 * write from an older version, a hand edit) is an InputError naming the file.
 */
export function readRunResult(runDir: string): RunResult | null {
  const p = join(runDir, 'result.json');
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as RunResult;
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message}): delete it and evaluate the run again (\`eyemulator train --resume --evaluate --out RUN\`)`, { file: p }, { cause: e });
  }
}
