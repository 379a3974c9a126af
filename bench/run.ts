/**
 * `npm run bench`: runs the benchmarks as child processes, writes bench/results/<ISO date>.json and
 * bench/results/latest.json, and prints one table per benchmark with its targets (PASS / MISS).
 *
 *   node --import tsx bench/run.ts [--quick] [--only NAME[,NAME…]] (engine, hf-peer, method, weights, memory, ddp) [--threads T] [--rounds R] [--no-bf16]
 *
 * Also rewrites BENCHMARKS.md at the repository root (machine, date, libtorch, command, every table)
 * unless --no-markdown is given. With --only, the sections of the benchmarks that did not run are kept
 * from the current BENCHMARKS.md (each section's title tells its benchmark: BENCH_OF_TITLE).
 *
 * A missed target never fails the process (this is a benchmark, not a test); a benchmark that
 * crashes does: its error is printed, the other results are still written, and the exit code is 1.
 * Progress goes to stderr, the tables to stdout.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { progress } from './lib/common.ts';
import { engineTable, hfPeerTable, methodTable, weightsTable, type Row } from './lib/tables.ts';
import { memoryTable } from './lib/memory-table.ts';
import { ddpTable } from './lib/ddp-table.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const args = process.argv.slice(2);
const opt = (n: string): string | undefined => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const onlyList = opt('only')?.split(',').filter(Boolean);
const only = onlyList?.join(',');
const wants = (name: string) => !onlyList || onlyList.includes(name);
const BENCHES = ['engine', 'hf-peer', 'method', 'weights', 'memory', 'ddp'];
/** Which benchmark wrote a BENCHMARKS.md section, from the start of its title (the tables' titles). */
const BENCH_OF_TITLE: Array<[prefix: string, bench: string]> = [
  ['engine training step', 'engine'], ['Engine vs HF', 'hf-peer'], ['Method costs', 'method'], ['weights pipeline', 'weights'],
  ['Memory:', 'memory'], ['Data-parallel', 'ddp'],
];

/** The `## ` sections of an existing BENCHMARKS.md whose benchmark is not in `ran` (kept verbatim). */
function keptSections(path: string, ran: string[]): string[] {
  if (!existsSync(path)) return [];
  const parts = readFileSync(path, 'utf8').split(/^(?=## )/m).slice(1);
  return parts.filter((p) => {
    const title = p.slice(3).split('\n')[0];
    const bench = BENCH_OF_TITLE.find(([prefix]) => title.startsWith(prefix))?.[1];
    // Sections of no benchmark (written by hand, e.g. the fuzzing figures) are kept too.
    return !(bench !== undefined && ran.includes(bench)) && !p.startsWith('## Crashed');
  }).map((p) => p.replace(/\s+$/, '') + '\n');
}
if (onlyList && onlyList.some((n) => !BENCHES.includes(n))) {
  console.error(`bench: --only must be one of ${BENCHES.join(', ')}, got ${only}`);
  process.exit(2);
}
const threads = opt('threads');

/** Runs `node --import tsx <script> ...` with its stdout forwarded to our stderr (progress). */
function runChild(script: string, childArgs: string[]): Promise<void> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(here, script), ...childArgs], {
      cwd: repo,
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    p.stdout.on('data', (d: Buffer) => process.stderr.write(d));
    p.on('error', rej);
    p.on('close', (code, signal) =>
      code === 0 ? res() : rej(new Error(`${script} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`)),
    );
  });
}

/** Writes a text file atomically (temp in the same folder, fsync, rename). */
function writeAtomicText(path: string, text: string): void {
  const t = `${path}.tmp-${process.pid}`;
  const fd = openSync(t, 'w');
  writeSync(fd, text);
  fsyncSync(fd);
  closeSync(fd);
  renameSync(t, path);
}

/** The libtorch the addon was built against, as set-up recorded it (build-info/torch-choice.json). */
function builtTorch(): string | undefined {
  try {
    const c = JSON.parse(readFileSync(join(repo, 'build-info', 'torch-choice.json'), 'utf8'));
    return typeof c.version === 'string' ? `${c.version} (${c.source})` : undefined;
  } catch {
    return undefined;
  }
}

/** BENCHMARKS.md: what ran, where, with what, and every table, as measured (no editing by hand). */
function benchmarksMarkdown(res: Record<string, any>, tbls: { title: string; rows: Row[] }[], stampName: string): string {
  const eng = res.engine ?? res['hf-peer'] ?? res.ddp ?? {};
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` (\`${res.command}\`) on ${res.date}; raw samples: \`bench/results/${stampName}.json\` (not committed).`,
    'Targets are issue goals; a MISS is reported, never hidden. Ratios are medians of per-round ratios measured side by side',
    'in alternating rounds (the machine is shared and noisy: trust ratios over absolute rates). Method: bench/README.md.',
    '',
    `- machine: ${eng.cpu ?? cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, no GPU in this run`,
    `- libtorch (engine): ${eng.torch ?? eng.engineTorch ?? builtTorch() ?? 'unknown'}; Node ${process.version}`,
    `- peers: ${res['hf-peer']?.results?.[0]?.peer?.transformers ? `HF transformers ${res['hf-peer'].results[0].peer.transformers}, PEFT ${res['hf-peer'].results[0].peer.peft}, torch ${res['hf-peer'].results[0].peer.torch}` : 'HF peer not run'}`,
    '',
  ];
  for (const t of tbls) {
    lines.push(`## ${t.title}`, '', '| metric | measured | target | |', '|---|--:|---|---|');
    for (const r of t.rows) lines.push(`| ${r.metric} | ${r.value} | ${r.target ?? ''} | ${r.status ?? ''} |`);
    lines.push('');
  }
  if (Object.keys(res.errors ?? {}).length) lines.push(`Crashed: ${Object.keys(res.errors).join(', ')}`, '');
  // --only: the other benchmarks' sections stay as they were (from earlier runs).
  const kept = onlyList ? keptSections(join(repo, 'BENCHMARKS.md'), BENCHES.filter(wants)) : [];
  if (kept.length) {
    lines.splice(3, 0, `Sections of benchmarks not in \`--only ${only}\` are kept from earlier runs (their raw samples are in older bench/results files).`);
    // The peers line describes the kept HF section when this run had no HF peer.
    const prevPeers = readFileSync(join(repo, 'BENCHMARKS.md'), 'utf8').split('\n').find((l) => l.startsWith('- peers:') && !l.includes('not run'));
    const i = lines.findIndex((l) => l.startsWith('- peers:'));
    if (!res['hf-peer'] && prevPeers && i >= 0) lines[i] = `${prevPeers.replace(/ \(earlier run\)$/, '')} (earlier run)`;
    for (const k of kept) lines.push(k);
  }
  return lines.join('\n');
}

const tmp = mkdtempSync(join(tmpdir(), 'eyemulator-run-'));
const started = new Date();
const results: Record<string, unknown> = {
  date: started.toISOString(),
  quick,
  command: `node --import tsx bench/run.ts ${args.join(' ')}`.trim(),
};
const errors: Record<string, string> = {};
const tables: { title: string; rows: Row[] }[] = [];

async function bench(name: string, script: string, childArgs: string[], table: (j: any) => { title: string; rows: Row[] }) {
  const out = join(tmp, `${name}.json`);
  progress(`── ${name}: ${script} ${childArgs.join(' ')}`);
  const t0 = performance.now();
  try {
    await runChild(script, [...childArgs, '--json', out]);
    if (!existsSync(out)) throw new Error(`${script} finished but wrote no ${out}`);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    results[name] = j;
    tables.push(table(j));
    progress(`── ${name}: done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  } catch (e) {
    const msg = (e as Error).stack ?? String(e);
    errors[name] = msg;
    process.stderr.write(`\n!!!!!!!! bench ${name} CRASHED !!!!!!!!\n${msg}\n\n`);
  }
}

if (wants('engine')) {
  const a = quick ? ['--quick'] : [];
  if (threads) a.push('--threads', threads);
  if (opt('rounds')) a.push('--rounds', opt('rounds')!);
  if (args.includes('--no-bf16')) a.push('--no-bf16');
  await bench('engine', 'engine.bench.ts', a, engineTable);
}
if (wants('hf-peer')) {
  const a = quick ? ['--quick'] : [];
  if (threads) a.push('--threads', threads);
  if (opt('rounds')) a.push('--rounds', opt('rounds')!);
  await bench('hf-peer', 'hf-peer.bench.ts', a, hfPeerTable);
}
if (wants('method')) {
  const a = quick ? ['--quick'] : [];
  if (threads) a.push('--threads', threads);
  await bench('method', 'method.bench.ts', a, methodTable);
}
if (wants('weights')) {
  await bench('weights', 'weights.bench.ts', quick ? ['--limit', '2000', '--epochs', '2'] : [], weightsTable);
}
if (wants('memory')) {
  await bench('memory', 'memory.bench.ts', threads ? ['--threads', threads] : [], memoryTable);
}
if (wants('ddp')) {
  const a = quick ? ['--quick'] : [];
  if (opt('rounds')) a.push('--rounds', opt('rounds')!);
  await bench('ddp', 'ddp.bench.ts', a, ddpTable);
}
rmSync(tmp, { recursive: true, force: true });

results.errors = errors;
results.tables = tables;
results.finished = new Date().toISOString();
const dir = join(here, 'results');
mkdirSync(dir, { recursive: true });
const stamp = started.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
const text = JSON.stringify(results, null, 2) + '\n';
writeFileSync(join(dir, `${stamp}.json`), text);
writeFileSync(join(dir, 'latest.json'), text);

for (const t of tables) {
  console.log(`\n${t.title}`);
  const w = [0, 0, 0, 0];
  const cells = t.rows.map((r) => [r.metric, r.value, r.target ?? '', r.status ?? '']);
  const head = ['metric', 'measured', 'target', ''];
  for (const c of [head, ...cells]) c.forEach((x, i) => (w[i] = Math.max(w[i], x.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => (i === 1 ? x.padStart(w[i]) : x.padEnd(w[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${w.map((n, i) => (i === 1 ? '-'.repeat(n + 1) + ':' : '-'.repeat(n + 2))).join('|')}|`);
  for (const c of cells) console.log(line(c));
}
console.log(`\nresults: bench/results/${stamp}.json (and bench/results/latest.json)`);
if (!args.includes('--no-markdown')) {
  writeAtomicText(join(repo, 'BENCHMARKS.md'), benchmarksMarkdown(results, tables, stamp));
  console.log('BENCHMARKS.md rewritten');
}
if (Object.keys(errors).length) {
  console.error(`\nbench FAILED: ${Object.keys(errors).join(', ')} crashed (see above). Targets missed are not failures; crashes are.`);
  process.exit(1);
}
