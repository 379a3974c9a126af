/**
 * `eyemulator experiment`: runs every cell of an experiment grid (config.ts) into
 *
 *   OUT/experiment.json       the resolved experiment config (a rerun must match it)
 *   OUT/tokenizer/            the BPE tokenizer trained on the training data (when configured)
 *   OUT/cells/<cell>/         one run folder per cell (src/train/run.ts + evaluate-run.ts)
 *   OUT/results.json          every cell's result + trivial baselines (src/report/types.ts)
 *   OUT/report/               report.md, report.html, SVG charts, report.json
 *
 * Resumable: a cell with result.json is finished and never rerun; a cell that was interrupted
 * continues from its saved state. Cells run as child processes (`eyemulator train --evaluate`),
 * `parallel` at a time, each with its own thread count — a crash or Ctrl-C in one cell leaves the
 * others' folders intact.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cellRunConfig, cellsOf, parseExperiment, type Cell, type ExperimentConfig } from './config.ts';
import { inputLengths, readRunResult, trainTargets, validExamples } from './evaluate-run.ts';
import { parseRunConfig } from '../train/config.ts';
import { loadTask } from '../data/tasks.ts';
import { resolveTaskSource } from '../data/source.ts';
import { loadModelTokenizer } from '../model/tokenizer.ts';
import { saveTrainedTokenizer, trainTokenizer, formatTrainStats } from '../tokenizer/index.ts';
import { copyInputBaseline, writeReport, RESULTS_FORMAT, type ResultsFile, type RunResult, type TrivialResult, type WrittenReport } from '../report/index.ts';
import { gitRevision } from '../train/provenance.ts';
import { sha256File } from '../data/artifact-jsonl.ts';
import { defaultPriorsPath } from '../priors/index.ts';
import { repoRoot } from '../util/paths.ts';
import { EyemulatorError, InterruptedError, OptionError } from '../util/errors.ts';
import { formatEta } from '../train/progress.ts';
import type { TaskName } from '../data/prompt.ts';
import { readJsonFile } from '../util/json.ts';

export interface ExperimentOptions {
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Override the config's parallel cell count. */
  parallel?: number;
  /** Command that runs one cell; default: this package's CLI under the same Node. For tests. */
  cellCommand?: (cellDir: string, configPath: string) => { cmd: string; args: string[] };
}

export interface ExperimentResult {
  results: ResultsFile;
  report: WrittenReport;
  ran: string[];
  skipped: string[];
  seconds: number;
}

/** The CLI entry a child process runs: the sources under tsx when running from sources, else dist. */
export function cliEntry(): { cmd: string; args: string[] } {
  const fromSource = fileURLToPath(import.meta.url).endsWith('.ts');
  return fromSource
    ? { cmd: process.execPath, args: ['--import', 'tsx', join(repoRoot(), 'src', 'cli', 'main.ts')] }
    : { cmd: process.execPath, args: [join(repoRoot(), 'bin', 'eyemulator.js')] };
}

function defaultCellCommand(cellDir: string, configPath: string): { cmd: string; args: string[] } {
  const e = cliEntry();
  return { cmd: e.cmd, args: [...e.args, 'train', '--config', configPath, '--out', cellDir, '--resume', '--evaluate', '--progress', 'lines'] };
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
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const corpus = join(dir, 'corpus.txt');
  const texts: string[] = [];
  for (const task of c.tasks) {
    const trainSpec = (c.tasksRun[task]?.train ?? c.run.train) as string | undefined;
    const data = await loadTask(resolveTaskSource(task as TaskName, trainSpec, 'train'));
    for (const e of data.examples) texts.push(e.input, e.target);
  }
  writeFileSync(corpus, texts.join('\n') + '\n');
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

export async function runExperiment(config: unknown, outDir: string, o: ExperimentOptions = {}): Promise<ExperimentResult> {
  const c = parseExperiment(config);
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const out = resolve(outDir);
  const t0 = performance.now();
  mkdirSync(join(out, 'cells'), { recursive: true });
  const expPath = join(out, 'experiment.json');
  if (existsSync(expPath)) {
    const prev = parseExperiment(readJsonFile(expPath), expPath);
    const strip = (e: ExperimentConfig) => JSON.stringify({ ...e, parallel: 0, threadsPerCell: 0, title: '', report: {} });
    if (strip(prev) !== strip(c)) throw new OptionError(`${out} holds an experiment with a different configuration (${expPath}); use another --out (only parallel, threadsPerCell, title and report may change on a rerun)`);
  }
  writeFileSync(expPath, JSON.stringify(c, null, 2) + '\n');

  const tokenizerPath = await ensureTokenizer(c, out, log);
  const cells = cellsOf(c);
  const pending: Array<{ cell: Cell; dir: string; cfg: string }> = [];
  const skipped: string[] = [];
  for (const cell of cells) {
    const dir = join(out, 'cells', cell.name);
    if (readRunResult(dir)) { skipped.push(cell.name); continue; }
    mkdirSync(dir, { recursive: true });
    const cfgPath = join(out, 'cells', `${cell.name}.json`);
    const cfg = parseRunConfig(cellRunConfig(c, cell, tokenizerPath), `${expPath} (cell ${cell.name})`);
    writeFileSync(cfgPath, JSON.stringify(cfg, null, 2) + '\n');
    pending.push({ cell, dir, cfg: cfgPath });
  }
  log(`${cells.length} cells (${c.tasks.length} task × ${c.regimes.length} regime × ${c.seeds.length} seed × ${c.variants.length} variant): ${skipped.length} finished already, ${pending.length} to run, ${o.parallel ?? c.parallel} at a time`);

  const parallel = Math.max(1, o.parallel ?? c.parallel);
  const ran: string[] = [];
  const failures: string[] = [];
  let next = 0, finished = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < pending.length && !o.signal?.aborted) {
      const p = pending[next++];
      const cmd = (o.cellCommand ?? defaultCellCommand)(p.dir, p.cfg);
      log(`[${p.cell.name}] start`);
      const code = await runChild(cmd.cmd, cmd.args, `[${p.cell.name}]`, log, o.signal);
      finished++;
      if (code === 0 && readRunResult(p.dir)) {
        ran.push(p.cell.name);
        const per = (performance.now() - started) / 1000 / finished;
        log(`[${p.cell.name}] done (${finished}/${pending.length}; ETA ${formatEta(per * (pending.length - finished))})`);
      } else {
        failures.push(`${p.cell.name} (exit ${code}; see ${p.dir})`);
        log(`[${p.cell.name}] FAILED with exit code ${code}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, pending.length) }, worker));
  if (o.signal?.aborted) throw new InterruptedError(`interrupted: ${ran.length + skipped.length} of ${cells.length} cells finished; rerun the same command to continue (finished cells are kept)`);
  if (failures.length) throw new EyemulatorError('EYEMULATOR_EXPERIMENT', `${failures.length} cell(s) failed: ${failures.join('; ')}. Rerun the same command to retry them (finished cells are kept).`);

  const done = cells.map((cell) => ({ cell, dir: join(out, 'cells', cell.name) }));
  const runs: RunResult[] = done.map((d) => readRunResult(d.dir)!);
  const prov = readJsonFile<Record<string, unknown>>(join(done[0].dir, 'provenance.json'));
  const results: ResultsFile = {
    format: RESULTS_FORMAT,
    title: c.title,
    lengthUnit: 'tokens',
    runs,
    trivial: await trivialBaselines(c, done),
    provenance: {
      git: gitRevision(),
      data: prov.data,
      priors: c.variants.some((v) => v !== 'baseline') ? { path: (prov.priors as { path?: string } | null)?.path ?? defaultPriorsPath(), sha256: (prov.priors as { sha256?: string } | null)?.sha256 ?? (await sha256File(defaultPriorsPath())), credit: 'EyeTrans priors (Zhang et al., FSE 2024) as distributed with EyeMulator (Zhang et al., ACL 2026), CC-BY-4.0' } : null,
      tokenizer: tokenizerPath ? { path: tokenizerPath, sha256: await sha256File(tokenizerPath) } : null,
      engine: prov.engine,
      seeds: c.seeds,
      run: c.run,
    },
  };
  writeFileSync(join(out, 'results.json'), JSON.stringify(results) + '\n');
  const report = await writeReport(results, join(out, 'report'), { baseline: c.report.baseline ?? (c.variants.includes('baseline') ? 'baseline' : c.variants[0]), bootstrapB: c.report.bootstrapB, bootstrapSeed: c.report.bootstrapSeed });
  return { results, report, ran, skipped, seconds: (performance.now() - t0) / 1000 };
}

/** The experiment config of a file (YAML/JSON). */
export { loadExperiment } from './config.ts';
