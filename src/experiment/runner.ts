/**
 * `eyemulator experiment`: runs every cell of an experiment grid (config.ts) into
 *
 *   OUT/experiment.json       the resolved experiment config (a rerun must match it)
 *   OUT/experiment.lock       held while the shared first stages run (experiment.json, tokenizer)
 *   OUT/tokenizer/            the BPE tokenizer trained on the training data (when configured)
 *   OUT/cells/<cell>.json     the cell's RunConfig
 *   OUT/cells/<cell>.lock     held while a process runs the cell (pid, host, time; lock.ts)
 *   OUT/cells/<cell>/         one run folder per cell (src/train/run.ts + evaluate-run.ts)
 *   OUT/results.json          every cell's result + trivial baselines (src/report/types.ts)
 *   OUT/report/               report.md, report.html, SVG charts, report.json
 *
 * Three ways to run a grid, all resumable and safe to mix on shared storage:
 * - `runExperiment`: every cell, `parallel` at a time, then the report (the serial path);
 * - `runExperimentCell`: exactly one cell (cluster array jobs: one index per task), a no-op when
 *   it is finished, refused while another process runs it;
 * - `reportExperiment`: the report from the finished cells, naming the missing ones; runs nothing.
 * `listCells` says where each cell stands without touching anything.
 *
 * A cell with result.json is finished and never rerun; a cell that was interrupted continues from
 * its saved state. Each cell runs in a child process that runs the library module cell-worker.ts
 * (train + evaluate in-process, see cell.ts), with its own thread count — a crash or Ctrl-C in one
 * cell leaves the others' folders intact.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cellRunConfig, cellsOf, parseExperiment, type Cell, type ExperimentConfig } from './config.ts';
import { inputLengths, trainTargets, validExamples } from './evaluate-run.ts';
import { finishedResult } from './cell.ts';
import { describeHolder, LockBusyError, readLock, tryLock, waitLock, type HeldLock, type LockInfo, type LockOptions } from './lock.ts';
import { parseRunConfig } from '../train/config.ts';
import { loadTask } from '../data/tasks.ts';
import { resolveTaskSource } from '../data/source.ts';
import { loadModelTokenizer } from '../model/tokenizer.ts';
import { saveTrainedTokenizer, trainTokenizer, formatTrainStats } from '../tokenizer/index.ts';
import { writeReport, RESULTS_FORMAT, type ResultsFile, type RunResult, type TrivialResult, type WrittenReport } from '../report/index.ts';
import { copyInputBaseline } from './baselines.ts';
import { gitRevision } from '../train/provenance.ts';
import { sha256File } from '../data/artifact-jsonl.ts';
import { defaultPriorsPath } from '../priors/index.ts';
import { packageRoot } from '../util/paths.ts';
import { EyemulatorError, InterruptedError, OptionError } from '../util/errors.ts';
import { formatEta } from '../train/progress.ts';
import type { TaskName } from '../data/prompt.ts';
import { readJsonFile, writeJsonAtomic, writeTextAtomic } from '../util/json.ts';
import { cleanTempLeftovers } from '../util/atomic-write.ts';

export interface ExperimentOptions {
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Override the config's parallel cell count. */
  parallel?: number;
  /** Command that runs one cell; default: `cellWorkerEntry()` with CELL_DIR RUN_CONFIG.json. For tests. */
  cellCommand?: (cellDir: string, configPath: string) => { cmd: string; args: string[] };
  /** Lock files without heartbeat for this long are stale (ms; default 10 min, lock.ts). */
  staleMs?: number;
  /** How often a process waiting for a lock looks again (ms; default 500). */
  pollMs?: number;
}

export interface ExperimentResult {
  results: ResultsFile;
  report: WrittenReport;
  ran: string[];
  skipped: string[];
  seconds: number;
}

/** The CLI as a child process (for tests and scripts; the runner itself runs cells through cellWorkerEntry): the sources under tsx when running from sources, else dist. */
export function cliEntry(): { cmd: string; args: string[] } {
  const fromSource = fileURLToPath(import.meta.url).endsWith('.ts');
  return fromSource
    ? { cmd: process.execPath, args: ['--import', 'tsx', join(packageRoot(), 'src', 'cli', 'main.ts')] }
    : { cmd: process.execPath, args: [join(packageRoot(), 'bin', 'eyemulator.js')] };
}

/**
 * The child process that runs one cell: this package's cell-worker module (the sources under tsx
 * when running from sources, else the compiled dist/ file beside this one) under the same Node.
 * Arguments to append: CELL_DIR RUN_CONFIG.json.
 */
export function cellWorkerEntry(): { cmd: string; args: string[] } {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) return { cmd: process.execPath, args: [join(dirname(here), 'cell-worker.js')] };
  let tsx = 'tsx';
  try { tsx = import.meta.resolve('tsx'); } catch { /* resolved from the working folder then */ }
  return { cmd: process.execPath, args: ['--import', tsx, join(dirname(here), 'cell-worker.ts')] };
}

function defaultCellCommand(cellDir: string, configPath: string): { cmd: string; args: string[] } {
  const e = cellWorkerEntry();
  return { cmd: e.cmd, args: [...e.args, cellDir, configPath] };
}

/** Runs one child, prefixing its output lines; resolves with its exit code. */
function runChild(cmd: string, args: string[], prefix: string, log: (l: string) => void, signal?: AbortSignal): Promise<number> {
  return new Promise((res, rej) => {
    // Own process group: a terminal Ctrl-C reaches only this process, which forwards exactly one
    // SIGINT (a second one would make the child quit without saving its state).
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' }, detached: true });
    const onAbort = () => child.kill('SIGINT');
    const onExit = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    process.once('exit', onExit);
    const pipe = (s: NodeJS.ReadableStream) => {
      let buf = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        buf += d;
        let i;
        while ((i = buf.search(/[\r\n]/)) >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (line) log(`${prefix} ${line}`);
        }
      });
      s.on('end', () => { if (buf.trim()) log(`${prefix} ${buf.trim()}`); });
    };
    pipe(child.stdout!);
    pipe(child.stderr!);
    child.on('error', rej);
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      process.off('exit', onExit);
      res(code ?? (sig ? 128 + 2 : 1));
    });
  });
}

/** Trains the experiment's BPE tokenizer on the training inputs and targets of every task (once). */
async function ensureTokenizer(c: ExperimentConfig, out: string, log: (l: string) => void): Promise<string | undefined> {
  if (!c.tokenizer) return typeof c.run.tokenizer === 'string' ? resolve(c.run.tokenizer) : undefined;
  const dir = join(out, 'tokenizer');
  const path = join(dir, 'tokenizer.json');
  // Written tokenizer.json first, tokenizer_config.json second (each atomically): both = finished.
  if (existsSync(path) && existsSync(join(dir, 'tokenizer_config.json'))) return path;
  mkdirSync(dir, { recursive: true });
  const corpus = join(dir, 'corpus.txt');
  const texts: string[] = [];
  for (const task of c.tasks) {
    const trainSpec = (c.tasksRun[task]?.train ?? c.run.train) as string | undefined;
    const data = await loadTask(resolveTaskSource(task as TaskName, trainSpec, 'train'));
    for (const e of data.examples) texts.push(e.input, e.target);
  }
  writeTextAtomic(corpus, texts.join('\n') + '\n');
  log(`training a BPE tokenizer (vocabulary ${c.tokenizer.vocabSize}) on ${texts.length / 2} training pairs`);
  const t = await trainTokenizer([corpus], { vocabSize: c.tokenizer.vocabSize, minFrequency: c.tokenizer.minFrequency, modelMaxLength: 4096 });
  saveTrainedTokenizer(t, path);
  for (const l of formatTrainStats(t.stats).split('\n')) log(`  ${l}`);
  return path;
}

/** The copy-the-input baseline on the experiment's validation examples, one per task. */
async function trivialBaselines(c: ExperimentConfig, cellsDone: Array<{ cell: Cell; dir: string }>): Promise<TrivialResult[]> {
  if (!c.copyBaseline) return [];
  const out: TrivialResult[] = [];
  for (const task of c.tasks) {
    if (task === 'summarization') continue; // copying Java is no English summary
    const any = cellsDone.find((d) => d.cell.task === task);
    if (!any) continue;
    const rc = parseRunConfig(readJsonFile(join(any.dir, 'config.json')));
    const examples = await validExamples(rc);
    const done = readJsonFile<{ modelDir: string }>(join(any.dir, 'train-done.json'));
    const tok = await loadModelTokenizer(done.modelDir, rc.tokenizer && rc.model ? resolve(rc.tokenizer) : undefined);
    const refs = await inputLengths(tok, examples);
    // Scored like the models (CrystalBLEU ignores the same training-target n-grams).
    out.push(await copyInputBaseline(task as TaskName, examples.map((e, i) => ({ ...refs[i], input: e.input, reference: e.target })), { trainTargets: await trainTargets(rc) }));
  }
  return out;
}

/** Where a cell stands: done (result.json), running (a live lock), partial (started), pending. */
export type CellState = 'done' | 'running' | 'partial' | 'pending';

export interface CellStatus extends Cell {
  /** Position in the grid (0-based; what `--cell K` and a job array index take). */
  index: number;
  status: CellState;
  /** Run folder. */
  dir: string;
  /** Who runs it (status running), or who held a stale lock. */
  holder?: LockInfo | null;
  /** Why a lock left behind is stale. */
  staleLock?: string;
}

interface CellFiles { dir: string; config: string; lock: string }

function cellFiles(out: string, cell: Cell): CellFiles {
  return { dir: join(out, 'cells', cell.name), config: join(out, 'cells', `${cell.name}.json`), lock: join(out, 'cells', `${cell.name}.lock`) };
}

/** Refuses an OUT that holds another grid (only parallel, threadsPerCell, title and report may change). */
function checkSameExperiment(c: ExperimentConfig, out: string): boolean {
  const expPath = join(out, 'experiment.json');
  if (!existsSync(expPath)) return false;
  const prev = parseExperiment(readJsonFile(expPath), expPath);
  const strip = (e: ExperimentConfig) => JSON.stringify({ ...e, parallel: 0, threadsPerCell: 0, title: '', report: {} });
  if (strip(prev) !== strip(c)) throw new OptionError(`${out} holds an experiment with a different configuration (${expPath}); use another --out (only parallel, threadsPerCell, title and report may change on a rerun)`);
  return true;
}

function statusOf(out: string, cell: Cell, index: number, o: LockOptions): CellStatus {
  const f = cellFiles(out, cell);
  const base = { ...cell, index, dir: f.dir };
  if (finishedResult(f.dir)) return { ...base, status: 'done' };
  const lock = readLock(f.lock, o);
  if (lock && !lock.stale) return { ...base, status: 'running', holder: lock.info };
  const started = existsSync(join(f.dir, 'config.json'));
  const s: CellStatus = { ...base, status: started ? 'partial' : 'pending' };
  if (lock) { s.holder = lock.info; s.staleLock = lock.stale!; }
  return s;
}

/**
 * Every cell of the grid in OUT with its status, in grid order (index = `--cell` index). Reads
 * only; an OUT holding another grid is refused (OptionError).
 */
export function listCells(config: unknown, outDir: string, o: Pick<ExperimentOptions, 'staleMs'> = {}): CellStatus[] {
  const c = parseExperiment(config);
  const out = resolve(outDir);
  checkSameExperiment(c, out);
  return cellsOf(c).map((cell, i) => statusOf(out, cell, i, o));
}

/** The cell `key` names: its 0-based index (a number or a string of digits) or its name. */
export function selectCell(c: ExperimentConfig, key: string | number): Cell & { index: number } {
  const cells = cellsOf(c);
  const k = String(key).trim();
  const index = /^\d+$/.test(k) ? Number(k) : cells.findIndex((x) => x.name === k);
  if (index < 0 || index >= cells.length) {
    throw new OptionError(`--cell ${k}: the grid has ${cells.length} cells, 0–${cells.length - 1} (${cells.slice(0, 4).map((x, i) => `${i} ${x.name}`).join(', ')}${cells.length > 4 ? ', …' : ''}; --list-cells lists them)`);
  }
  return { ...cells[index], index };
}

/**
 * The stages every cell shares, made once under OUT/experiment.lock (concurrent processes wait):
 * experiment.json (checked against an existing one) and the BPE tokenizer. Returns the tokenizer.
 */
async function prepare(c: ExperimentConfig, out: string, log: (l: string) => void, o: ExperimentOptions): Promise<string | undefined> {
  mkdirSync(join(out, 'cells'), { recursive: true });
  const lock = await waitLock(join(out, 'experiment.lock'), 'experiment setup', {
    staleMs: o.staleMs, pollMs: o.pollMs, signal: o.signal, onWait: (h) => log(`waiting for the experiment setup by ${describeHolder(h)}`),
  });
  try {
    checkSameExperiment(c, out);
    // Half-written tokenizer files of a killed setup (only the lock holder writes there).
    for (const a of cleanTempLeftovers(join(out, 'tokenizer'))) log(`${a.action} ${a.path} (left by an interrupted write)`);
    writeJsonAtomic(join(out, 'experiment.json'), c);
    return await ensureTokenizer(c, out, log);
  } finally {
    lock.release();
  }
}

/**
 * Runs one cell whose lock is held: writes its RunConfig, runs the child, watches the lock. Resolves
 * with null when the cell finished, else a failure description.
 */
async function runLockedCell(c: ExperimentConfig, out: string, cell: Cell, lock: HeldLock, tokenizerPath: string | undefined, log: (l: string) => void, o: ExperimentOptions): Promise<string | null> {
  const f = cellFiles(out, cell);
  const cfg = parseRunConfig(cellRunConfig(c, cell, tokenizerPath), `${join(out, 'experiment.json')} (cell ${cell.name})`);
  writeJsonAtomic(f.config, cfg);
  mkdirSync(f.dir, { recursive: true });
  const cmd = (o.cellCommand ?? defaultCellCommand)(f.dir, f.config);
  // The child stops (saving its state) when we are interrupted or when our lock was taken over.
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) ac.abort();
  const watch = setInterval(() => { if (lock.lost()) ac.abort(); }, 1000);
  watch.unref();
  try {
    log(`[${cell.name}] start`);
    const code = await runChild(cmd.cmd, cmd.args, `[${cell.name}]`, log, ac.signal);
    if (lock.lost()) return `${cell.name} (its lock ${f.lock} was taken over by another process; the cell stopped)`;
    if (code === 0 && finishedResult(f.dir)) return null;
    if (ac.signal.aborted && code === 130) { log(`[${cell.name}] stopped; its state is saved`); return `${cell.name} (interrupted)`; }
    log(`[${cell.name}] FAILED with exit code ${code}`);
    return `${cell.name} (exit ${code}; see ${f.dir})`;
  } finally {
    clearInterval(watch);
    o.signal?.removeEventListener('abort', onAbort);
  }
}

export async function runExperiment(config: unknown, outDir: string, o: ExperimentOptions = {}): Promise<ExperimentResult> {
  const c = parseExperiment(config);
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const out = resolve(outDir);
  const t0 = performance.now();
  const tokenizerPath = await prepare(c, out, log, o);
  const cells = cellsOf(c);
  const pending: Cell[] = [];
  const skipped: string[] = [];
  for (const cell of cells) {
    if (finishedResult(cellFiles(out, cell).dir)) skipped.push(cell.name);
    else pending.push(cell);
  }
  const parallel = Math.max(1, o.parallel ?? c.parallel);
  log(`${cells.length} cells (${c.tasks.length} task × ${c.regimes.length} regime × ${c.seeds.length} seed × ${c.variants.length} variant): ${skipped.length} finished already, ${pending.length} to run, ${parallel} at a time`);

  const ran: string[] = [];
  const failures: string[] = [];
  const busy: Cell[] = [];
  let finished = 0, elsewhere = 0;
  const started = performance.now();
  // One pass takes each cell's lock without waiting (cells another process runs are put aside);
  // the second waits for those, then runs what they left unfinished.
  const pass = async (queue: Cell[], wait: boolean) => {
    let next = 0;
    const worker = async () => {
      while (next < queue.length && !o.signal?.aborted) {
        const cell = queue[next++];
        const f = cellFiles(out, cell);
        let lock: HeldLock;
        try {
          lock = wait
            ? await waitLock(f.lock, `cell ${cell.name}`, { staleMs: o.staleMs, pollMs: o.pollMs, signal: o.signal, onWait: (h) => log(`[${cell.name}] waiting: run by ${describeHolder(h)}`) })
            : tryLock(f.lock, `cell ${cell.name}`, { staleMs: o.staleMs });
        } catch (e) {
          if (e instanceof LockBusyError) { busy.push(cell); continue; }
          if (o.signal?.aborted) break;
          throw e;
        }
        try {
          if (finishedResult(f.dir)) { skipped.push(cell.name); elsewhere++; log(`[${cell.name}] finished by another process`); continue; }
          const failure = await runLockedCell(c, out, cell, lock, tokenizerPath, log, o);
          finished++;
          if (failure === null) {
            ran.push(cell.name);
            const per = (performance.now() - started) / 1000 / finished;
            log(`[${cell.name}] done (${finished}/${pending.length}; ETA ${formatEta(per * Math.max(0, pending.length - finished - elsewhere))})`);
          } else if (!o.signal?.aborted) failures.push(failure);
        } finally {
          lock.release();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, queue.length) }, worker));
  };
  await pass(pending, false);
  if (busy.length && !o.signal?.aborted) {
    log(`${busy.length} cell(s) are being run by other processes: waiting for them (${busy.map((x) => x.name).join(', ')})`);
    await pass(busy.splice(0), true);
  }
  if (o.signal?.aborted) throw new InterruptedError(`interrupted: ${ran.length + skipped.length} of ${cells.length} cells finished; rerun the same command to continue (finished cells are kept)`);
  if (failures.length) throw new EyemulatorError('EYEMULATOR_EXPERIMENT', `${failures.length} cell(s) failed: ${failures.join('; ')}. Rerun the same command to retry them (finished cells are kept).`);

  const { results, report } = await buildResults(c, out, cells, tokenizerPath, []);
  return { results, report, ran, skipped, seconds: (performance.now() - t0) / 1000 };
}

export interface CellRunResult {
  cell: Cell & { index: number };
  /** ran: this call finished it; done: it was finished already (nothing ran). */
  outcome: 'ran' | 'done';
  seconds: number;
}

/**
 * Runs exactly one cell of the grid (`key`: index or name) in OUT: the shared stages (under their
 * lock), then the cell under its own lock. A finished cell is a no-op; an interrupted one continues.
 * Throws LockBusyError while another live process runs the cell, InterruptedError on `signal`
 * (the cell's state is saved), EyemulatorError when the cell fails.
 */
export async function runExperimentCell(config: unknown, outDir: string, key: string | number, o: ExperimentOptions = {}): Promise<CellRunResult> {
  const c = parseExperiment(config);
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const out = resolve(outDir);
  const t0 = performance.now();
  const cell = selectCell(c, key);
  const f = cellFiles(out, cell);
  const done = (): CellRunResult => ({ cell, outcome: 'done', seconds: (performance.now() - t0) / 1000 });
  if (existsSync(join(out, 'experiment.json'))) checkSameExperiment(c, out);
  if (finishedResult(f.dir)) { log(`[${cell.name}] finished already`); return done(); }
  const tokenizerPath = await prepare(c, out, log, o);
  let lock: HeldLock;
  try {
    lock = tryLock(f.lock, `cell ${cell.name}`, { staleMs: o.staleMs });
  } catch (e) {
    if (e instanceof LockBusyError) throw new LockBusyError(`cell ${cell.index} (${cell.name}) is being run by ${describeHolder(e.holder)}; not starting it twice (its lock: ${f.lock})`, e.holder);
    throw e;
  }
  try {
    if (finishedResult(f.dir)) { log(`[${cell.name}] finished already`); return done(); }
    const failure = await runLockedCell(c, out, cell, lock, tokenizerPath, log, o);
    if (o.signal?.aborted) throw new InterruptedError(`interrupted: cell ${cell.name} saved its state; run the same command to continue it`);
    if (failure) throw new EyemulatorError('EYEMULATOR_EXPERIMENT', `cell failed: ${failure}. Run the same command to retry it.`);
    log(`[${cell.name}] done`);
    return { cell, outcome: 'ran', seconds: (performance.now() - t0) / 1000 };
  } finally {
    lock.release();
  }
}

export interface ExperimentReport {
  results: ResultsFile;
  report: WrittenReport;
  /** Cells in the report. */
  cells: string[];
  /** Cells not finished (not in the report). */
  missing: string[];
}

/**
 * Builds OUT/results.json and OUT/report/ from the finished cells without running anything. With
 * cells missing, the report covers the finished ones and its title says "partial: k of n cells".
 * Throws OptionError when OUT holds no experiment or no finished cell.
 */
export async function reportExperiment(config: unknown, outDir: string, o: Pick<ExperimentOptions, 'log'> = {}): Promise<ExperimentReport> {
  const c = parseExperiment(config);
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const out = resolve(outDir);
  if (!checkSameExperiment(c, out)) throw new OptionError(`${out} holds no experiment (no experiment.json): run cells first`);
  const cells = cellsOf(c);
  const finished = cells.filter((cell) => finishedResult(cellFiles(out, cell).dir));
  const missing = cells.filter((cell) => !finished.includes(cell)).map((cell) => cell.name);
  if (finished.length === 0) throw new OptionError(`${out}: none of the ${cells.length} cells has finished yet; nothing to report`);
  let tokenizerPath: string | undefined;
  if (c.tokenizer) {
    tokenizerPath = join(out, 'tokenizer', 'tokenizer.json');
    if (!existsSync(tokenizerPath)) throw new OptionError(`${out}: the experiment's tokenizer ${tokenizerPath} is missing`);
  } else if (typeof c.run.tokenizer === 'string') tokenizerPath = resolve(c.run.tokenizer);
  if (missing.length) log(`${missing.length} of ${cells.length} cells are not finished and not in the report: ${missing.join(', ')}`);
  const { results, report } = await buildResults(c, out, finished, tokenizerPath, missing, cells.length);
  return { results, report, cells: finished.map((x) => x.name), missing };
}

/** The pretrained base every cell starts from (run.model): its folder and weight/tokenizer hashes; null for models made here. */
async function baseProvenance(c: ExperimentConfig): Promise<Record<string, unknown> | null> {
  if (typeof c.run.model !== 'string') return null;
  const dir = resolve(c.run.model);
  const out: Record<string, unknown> = { path: c.run.model };
  for (const f of ['model.safetensors', 'tokenizer.json']) if (existsSync(join(dir, f))) out[f] = await sha256File(join(dir, f));
  return out;
}

/** results.json + report/ from finished cells (all of them, on the serial path). */
async function buildResults(c: ExperimentConfig, out: string, cells: Cell[], tokenizerPath: string | undefined, missing: string[], total = cells.length): Promise<{ results: ResultsFile; report: WrittenReport }> {
  const done = cells.map((cell) => ({ cell, dir: cellFiles(out, cell).dir }));
  const runs: RunResult[] = done.map((d) => finishedResult(d.dir)!);
  const prov = readJsonFile<Record<string, unknown>>(join(done[0].dir, 'provenance.json'));
  const results: ResultsFile = {
    format: RESULTS_FORMAT,
    title: missing.length ? `${c.title} (partial: ${cells.length} of ${total} cells; missing ${missing.join(', ')})` : c.title,
    lengthUnit: 'tokens',
    runs,
    trivial: await trivialBaselines(c, done),
    provenance: {
      git: gitRevision(),
      data: prov.data,
      priors: c.variants.some((v) => v !== 'baseline') ? { path: (prov.priors as { path?: string } | null)?.path ?? defaultPriorsPath(), sha256: (prov.priors as { sha256?: string } | null)?.sha256 ?? (await sha256File(defaultPriorsPath())), credit: 'EyeTrans priors (Zhang et al., FSE 2024) as distributed with EyeMulator (Zhang et al., ACL 2026), CC-BY-4.0' } : null,
      tokenizer: tokenizerPath ? { path: tokenizerPath, sha256: await sha256File(tokenizerPath) } : null,
      base: await baseProvenance(c),
      engine: prov.engine,
      seeds: c.seeds,
      run: c.run,
    },
  };
  writeTextAtomic(join(out, 'results.json'), JSON.stringify(results) + '\n');
  const report = await writeReport(results, join(out, 'report'), { baseline: c.report.baseline ?? (c.variants.includes('baseline') ? 'baseline' : c.variants[0]), bootstrapB: c.report.bootstrapB, bootstrapSeed: c.report.bootstrapSeed });
  return { results, report };
}

/** The experiment config of a file (YAML/JSON). */
export { loadExperiment } from './config.ts';
