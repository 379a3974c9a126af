/**
 * `npm run fuzz -- --cases N --seed S [--jobs J] [--json FILE] [--only NAME,…] [--timeout-ms MS]
 * [--mem-mb MB] [--save DIR [--keep]] [--only-cases K,…]`: seeded mutations of valid input files for every loader, each fed to the CLI
 * (targets.ts), each ending classified:
 *
 * Random mutations whose validity cannot be stated up front (random bytes in a safetensors header)
 * are judged by the format's reference reader (Python safetensors in .venv) after the run.
 *
 *   refused           a clean typed error (or usage error) for an invalid mutation   — correct
 *   accepted          exit 0 for a mutation that provably keeps the input valid      — correct
 *   refused-valid     a typed error for a valid mutation (a false refusal: listed)
 *   accepted-garbage  exit 0 for an invalid mutation                                 — a defect
 *   stack-trace       an error Node would print with its raw stack                   — a defect
 *   signal            the process died on a signal (segfault, abort)                 — a defect
 *   timeout           no answer within --timeout-ms (default 30 s)                   — a defect
 *   memory            resident memory over --mem-mb (default 3072), or a JS heap overflow — a defect
 *
 * Cases run in worker processes (--jobs, default 1) that call the CLI in-process (fast: no Node start per case); the
 * parent watches the worker's RSS and time and replaces it after a crash, kill or overflow, so each
 * of those endings is still attributed to the one case that caused it. Case k's mutation depends
 * only on (seed, k): a case can be replayed alone. A table goes to stdout, the JSON report (totals
 * per target and kind, every defect with its message) to --json (default fuzz-report.json).
 * --save DIR writes every defective case as a replayable folder (files + case.json), the form
 * test/fixtures/fuzz/ holds.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/util/rng.ts';
import { TARGETS, repoRoot, type Expect, type Target } from './targets.ts';

type Verdict = 'refused' | 'accepted' | 'refused-valid' | 'accepted-garbage' | 'stack-trace' | 'signal' | 'timeout' | 'memory';
const VERDICTS: Verdict[] = ['refused', 'accepted', 'refused-valid', 'accepted-garbage', 'stack-trace', 'signal', 'timeout', 'memory'];
const DEFECTS: Verdict[] = ['accepted-garbage', 'stack-trace', 'signal', 'timeout', 'memory'];

interface Answer { id: number; ending: string; status: number; message: string; errorClass?: string; ms: number }

function args() {
  const a = process.argv.slice(2);
  const get = (k: string, d?: string) => {
    const i = a.indexOf(`--${k}`);
    return i >= 0 ? a[i + 1] : d;
  };
  const num = (k: string, d: number) => {
    const v = Number(get(k, String(d)));
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${k} must be a non-negative number`);
    return v;
  };
  return {
    cases: num('cases', 1000), seed: get('seed', '1')!, json: get('json', 'fuzz-report.json')!, only: get('only'),
    timeoutMs: num('timeout-ms', 30000), memMb: num('mem-mb', 3072), save: get('save'), jobs: Math.max(1, num('jobs', 1)),
    // --only-cases K,K: replay those case numbers of (seed, --cases); --keep: --save every case run, not only defects
    onlyCases: get('only-cases')?.split(',').map(Number), keep: a.includes('--keep'),
  };
}

class Worker {
  child!: ChildProcess;
  stderr = '';
  private ready!: Promise<void>;
  constructor(private memMb: number) {
    this.start();
  }
  start() {
    this.stderr = '';
    this.child = fork(join(dirname(fileURLToPath(import.meta.url)), 'worker.ts'), [], {
      execArgv: ['--import', 'tsx', `--max-old-space-size=${this.memMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr!.on('data', (d) => { this.stderr = (this.stderr + String(d)).slice(-4000); });
    this.ready = new Promise((res) => this.child.once('message', () => res()));
  }
  rssMb(): number {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  }
  /** Runs one case; resolves with the worker's answer or how the worker ended. */
  async run(id: number, argv: string[], timeoutMs: number): Promise<{ verdictHint?: Verdict; answer?: Answer; detail: string; ms: number }> {
    await this.ready;
    const t0 = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const finish = (r: { verdictHint?: Verdict; answer?: Answer; detail: string }) => {
        if (settled) return;
        settled = true;
        clearInterval(watch);
        clearTimeout(timer);
        this.child.off('message', onMsg);
        this.child.off('exit', onExit);
        resolve({ ...r, ms: Math.round(performance.now() - t0) });
      };
      const restart = () => {
        this.child.removeAllListeners('exit');
        this.start();
      };
      const onMsg = (m: Answer) => {
        if (m.id !== id) return;
        finish({ answer: m, detail: m.message });
        if (m.ending === 'stack-trace' && m.message.startsWith('uncaught')) restart();
      };
      const onExit = (code: number | null, signal: string | null) => {
        const heap = /heap out of memory|Allocation failed/.test(this.stderr);
        const detail = `worker ended: ${signal ?? `exit ${code}`}; ${this.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}`;
        restart();
        finish({ verdictHint: heap ? 'memory' : signal ? 'signal' : 'stack-trace', detail });
      };
      const timer = setTimeout(() => {
        this.child.off('exit', onExit);
        this.child.kill('SIGKILL');
        restart();
        finish({ verdictHint: 'timeout', detail: `no answer after ${timeoutMs} ms` });
      }, timeoutMs);
      const watch = setInterval(() => {
        const rss = this.rssMb();
        if (rss > this.memMb) {
          this.child.off('exit', onExit);
          this.child.kill('SIGKILL');
          restart();
          finish({ verdictHint: 'memory', detail: `resident memory ${rss.toFixed(0)} MB over the ${this.memMb} MB cap` });
        }
      }, 100);
      this.child.on('message', onMsg);
      this.child.once('exit', onExit);
      this.child.send({ id, argv });
    });
  }
  stop() {
    this.child.removeAllListeners('exit');
    this.child.kill('SIGKILL');
  }
}

const PYTHON = join(repoRoot, '.venv', 'bin', 'python');
const REFERENCE = `
import sys
from safetensors import safe_open
try:
    with safe_open(sys.argv[1], framework="numpy") as f:
        for k in f.keys():
            f.get_slice(k)
        f.metadata()
except Exception as e:
    print(type(e).__name__, e)
    sys.exit(1)
`;

/**
 * Whether the reference reader (the Rust safetensors crate through its Python binding, in the
 * project's .venv) opens the file and every tensor: the oracle for 'reference' mutations. null
 * when no Python with safetensors is there (such cases are then not counted).
 */
function referenceAccepts(file: string): boolean | null {
  if (!existsSync(PYTHON)) return null;
  const r = spawnSync(PYTHON, ['-c', REFERENCE, file], { encoding: 'utf8', timeout: 30000 });
  if (r.status === 0) return true;
  if (r.status === 1 && r.stdout.trim() !== '') return false;
  return null;
}

function verdictOf(expect: Expect, r: { verdictHint?: Verdict; answer?: Answer }): Verdict {
  if (r.verdictHint) return r.verdictHint;
  const e = r.answer!.ending;
  if (e === 'stack-trace') return 'stack-trace';
  if (e === 'accepted') return expect === 'valid' ? 'accepted' : 'accepted-garbage';
  return expect === 'valid' ? 'refused-valid' : 'refused';
}

/** Writes a defective case as a replayable folder: its files, the seeds it names, case.json with placeholders. */
function saveCase(dir: string, caseDir: string, seeds: string, c: { target: string; kind: string; expect: Expect; files: string[]; argv: string[]; verdict: Verdict; detail: string }) {
  mkdirSync(dir, { recursive: true });
  // the mutated inputs only, not what the command wrote
  for (const f of c.files) cpSync(join(caseDir, f), join(dir, f), { recursive: true });
  const argv = c.argv.map((x) => {
    if (x.startsWith(caseDir)) return '$CASE' + x.slice(caseDir.length);
    if (x.startsWith(seeds)) {
      const rel = relative(seeds, x);
      const top = rel.split('/')[0];
      if (!existsSync(join(dir, 'seeds', top))) cpSync(join(seeds, top), join(dir, 'seeds', top), { recursive: true });
      return '$CASE/seeds/' + rel;
    }
    if (x.startsWith(repoRoot)) return '$REPO/' + relative(repoRoot, x);
    return x;
  });
  writeFileSync(join(dir, 'case.json'), JSON.stringify({ target: c.target, kind: c.kind, expect: c.expect, argv, found: `${c.verdict}: ${c.detail}` }, null, 2) + '\n');
}

async function main() {
  const o = args();
  const ws = mkdtempSync(join(tmpdir(), 'eyemulator-fuzz-'));
  const seeds = join(ws, 'seeds');
  mkdirSync(seeds);
  const targets: Target[] = [];
  for (const t of TARGETS) {
    if (o.only && !o.only.split(',').some((s) => t.name.toLowerCase().includes(s.toLowerCase()))) continue;
    if (await t.prepare(seeds)) targets.push(t);
    else console.error(`fuzz: no seed data for ${t.name}: skipped`);
  }
  if (targets.length === 0) throw new Error('no target selected');
  const workers = Array.from({ length: o.jobs }, () => new Worker(o.memMb));
  const table = new Map<string, Record<Verdict, number>>();
  const kinds = new Map<string, Record<Verdict, number>>();
  const msByTarget = new Map<string, number>();
  const defects: Array<Record<string, unknown>> = [];
  const t0 = performance.now();
  const seedRng = new Rng(o.seed);
  const zero = () => Object.fromEntries(VERDICTS.map((x) => [x, 0])) as Record<Verdict, number>;
  let next = 0;
  let done = 0;
  let unjudged = 0;
  const runOne = async (worker: Worker, w: number, k: number) => {
    const target = targets[k % targets.length];
    const rng = seedRng.fork(k);
    const m = target.mutate(rng, seeds);
    // One case in ten instead gets a mutation every loader must handle, applied to the target's
    // main file (the last one listed): an empty file, a directory where the file should be
    // (both invalid), or a UTF-8 byte-order mark before a JSON document (valid: every JSON
    // reader of the project strips it, as transformers' utf-8 reads do).
    const main = Object.keys(m.files).at(-1)!;
    let asDir = false;
    const g = rng.int(30);
    if (g === 0) [m.kind, m.expect, m.files[main]] = ['any:empty-file', 'invalid', ''];
    else if (g === 1) [m.kind, m.expect, asDir] = ['any:directory', 'invalid', true];
    else if (g === 2 && /\.json$/.test(main) && m.expect === 'valid') [m.kind, m.files[main]] = [`${m.kind}+bom`, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(m.files[main])])];
    const caseDir = join(ws, `case-${w}`);
    rmSync(caseDir, { recursive: true, force: true });
    for (const [rel, content] of Object.entries(m.files)) {
      mkdirSync(dirname(join(caseDir, rel)), { recursive: true });
      if (asDir && rel === main) mkdirSync(join(caseDir, rel));
      else writeFileSync(join(caseDir, rel), content);
    }
    const argv = m.argv(caseDir);
    const r = await worker.run(k, argv, o.timeoutMs);
    if (m.expect === 'reference') {
      const ok = referenceAccepts(join(caseDir, main));
      if (ok === null) {
        unjudged++; // no oracle here: the case is not counted
        return;
      }
      m.expect = ok ? 'valid' : 'invalid';
      m.kind += ok ? ' (reference: valid)' : ' (reference: invalid)';
    }
    const v = verdictOf(m.expect, r);
    msByTarget.set(target.name, (msByTarget.get(target.name) ?? 0) + r.ms);
    const row = table.get(target.name) ?? zero();
    row[v]++;
    table.set(target.name, row);
    const kr = kinds.get(m.kind) ?? zero();
    kr[v]++;
    kinds.set(m.kind, kr);
    if (DEFECTS.includes(v) || v === 'refused-valid') {
      const detail = r.answer?.message ?? r.detail;
      defects.push({ case: k, target: target.name, kind: m.kind, expect: m.expect, verdict: v, detail: detail.slice(0, 400), argv: argv.map((x) => x.replace(ws, '$WS')) });
      if (o.save && v !== 'refused-valid' && !o.keep) saveCase(join(o.save, `${m.kind.replace(/[^a-z0-9]+/gi, '-')}-${o.seed}-${k}`), caseDir, seeds, { target: target.name, kind: m.kind, expect: m.expect, files: Object.keys(m.files), argv, verdict: v, detail });
    }
    if (o.save && o.keep) saveCase(join(o.save, `${m.kind.replace(/[^a-z0-9]+/gi, '-')}-${o.seed}-${k}`), caseDir, seeds, { target: target.name, kind: m.kind, expect: m.expect, files: Object.keys(m.files), argv, verdict: v, detail: r.answer?.message ?? r.detail });
    if (++done % 250 === 0) process.stderr.write(`fuzz: ${done}/${o.cases} cases, ${defects.filter((d) => d.verdict !== 'refused-valid').length} defects, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  };
  try {
    const list = o.onlyCases ?? Array.from({ length: o.cases }, (_, k) => k);
    await Promise.all(workers.map(async (worker, w) => {
      while (next < list.length) await runOne(worker, w, list[next++]);
    }));
  } finally {
    for (const w of workers) w.stop();
    rmSync(ws, { recursive: true, force: true });
  }
  defects.sort((x, y) => (x.case as number) - (y.case as number));
  const seconds = (performance.now() - t0) / 1000;
  if (o.onlyCases) o.cases = o.onlyCases.length;
  if (unjudged > 0) console.log(`${unjudged} cases left out: no reference reader (.venv/bin/python with safetensors) to judge them`);
  o.cases -= unjudged;
  const totals = Object.fromEntries(VERDICTS.map((v) => [v, [...table.values()].reduce((s, r) => s + r[v], 0)])) as Record<Verdict, number>;
  const head = ['target', 'cases', 'ms/case', ...VERDICTS];
  const count = (r: Record<Verdict, number>) => VERDICTS.reduce((s, v) => s + r[v], 0);
  const rows = [...table.entries()].map(([name, r]) => [name, String(count(r)), ((msByTarget.get(name) ?? 0) / count(r)).toFixed(0), ...VERDICTS.map((v) => String(r[v]))]);
  rows.push(['total', String(o.cases), ((seconds * 1000) / o.cases).toFixed(0), ...VERDICTS.map((v) => String(totals[v]))]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  console.log(`fuzz: ${o.cases} cases, seed ${o.seed}, ${seconds.toFixed(0)} s (${((seconds / o.cases) * 1000).toFixed(0)} ms/case)`);
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  const bad = DEFECTS.reduce((s, v) => s + totals[v], 0);
  for (const d of defects.filter((x) => x.verdict !== 'refused-valid').slice(0, 40)) console.log(`  #${d.case} ${d.target} ${d.kind}: ${d.verdict}: ${d.detail}`);
  writeFileSync(o.json, JSON.stringify({
    cases: o.cases, unjudged, seed: o.seed, seconds: Math.round(seconds), timeoutMs: o.timeoutMs, memMb: o.memMb, totals,
    byTarget: Object.fromEntries(table), byKind: Object.fromEntries([...kinds.entries()].sort()), defects,
  }, null, 2) + '\n');
  console.log(`${bad === 0 ? 'no defects' : `${bad} defects`}; report: ${o.json}`);
  process.exitCode = bad === 0 ? 0 : 1;
}

await main();
