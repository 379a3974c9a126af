/**
 * One experiment cell, in this process: train the run (resuming from its saved state, if any), then
 * evaluate it — `trainRun` + `evaluateRun`, the library entries the CLI's `train --evaluate` uses
 * too. A cell whose result.json exists is finished and only read back; one trained but not
 * evaluated is only evaluated. The experiment runner runs each cell in a child process
 * (`cell-worker.ts`) for isolation; library users can call `runCell` directly.
 */
import { resolve } from 'node:path';
import { trainRun } from '../train/run.ts';
import { readRunResult, readTrainSummary, type TrainRunSummary } from '../train/run-dir.ts';
import { silentProgress, type ProgressSink } from '../train/progress.ts';
import { evaluateRun, type EvalRunSummary } from './evaluate-run.ts';
import type { RunResult } from '../report/types.ts';
import { InterruptedError } from '../util/errors.ts';

export interface CellOptions {
  /** Informational lines (default: none). */
  log?: (line: string) => void;
  /** Aborting saves the training state (continue by running the cell again). */
  signal?: AbortSignal;
  progress?: ProgressSink;
  /** Decoding progress (examples done, total). */
  onDecode?: (done: number, total: number) => void;
}

export interface CellOutcome {
  cellDir: string;
  /** The training summary (train-done.json). */
  trained: TrainRunSummary;
  /** This call's evaluation; null when the cell was finished already. */
  evaluation: EvalRunSummary | null;
  result: RunResult;
  /** True when result.json existed: nothing was run. */
  reused: boolean;
}

/**
 * The result of a finished cell: result.json that parses, beside train-done.json; else null. A
 * result.json torn by a crash while it was written counts as unfinished (the cell is evaluated
 * again), so "finished" never means a half-written file.
 */
export function finishedResult(cellDir: string): RunResult | null {
  if (!readTrainSummary(cellDir)) return null;
  try {
    return readRunResult(cellDir);
  } catch {
    return null;
  }
}

/**
 * Trains and evaluates the run `runConfig` (a RunConfig object) in `cellDir`. Idempotent: a finished
 * cell is returned as it is; an interrupted one continues bit-identically. Throws InterruptedError
 * when `signal` aborts (the training state is saved first), and whatever trainRun/evaluateRun throw.
 */
export async function runCell(runConfig: unknown, cellDir: string, o: CellOptions = {}): Promise<CellOutcome> {
  cellDir = resolve(cellDir);
  const log = o.log ?? (() => {});
  const done = finishedResult(cellDir);
  const trainedBefore = readTrainSummary(cellDir);
  if (done && trainedBefore) return { cellDir, trained: trainedBefore, evaluation: null, result: done, reused: true };
  const trained = await trainRun(runConfig, cellDir, { resume: true, signal: o.signal, log, progress: o.progress ?? silentProgress });
  if (!trainedBefore) log(`trained ${trained.steps} steps in ${trained.seconds.toFixed(0)} s; final loss ${trained.finalLoss.toFixed(4)}`);
  try {
    const { result, summary } = await evaluateRun(cellDir, { log, signal: o.signal, onProgress: o.onDecode });
    const f = (x: number | null) => (x === null ? '—' : x.toFixed(2));
    log(`eval n ${summary.n}: exact ${f(summary.exact)}  BLEU ${f(summary.bleu)}  CodeBLEU ${f(summary.codebleu)}  chrF++ ${f(summary.chrf)}  ROUGE-L ${f(summary.rougeL)}  (${summary.seconds.toFixed(0)} s)`);
    return { cellDir, trained, evaluation: summary, result, reused: false };
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw new InterruptedError('interrupted during evaluation; run the cell again to decode again (training is finished)');
    throw e;
  }
}
