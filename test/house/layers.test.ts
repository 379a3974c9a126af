/**
 * The folder graph of docs/architecture.md ("What may import what") against the code: every
 * relative import in src/ that crosses from one top-level folder to another must be an arrow of that
 * table (src/util is open to all). The table is read from the page itself, so the page and the code
 * cannot drift apart silently.
 */
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

/** Top-level unit of a src file: its folder, or the file name for files directly in src/. */
function unitOf(abs: string): string {
  const parts = relative(SRC, abs).split(/[\\/]/);
  return parts[0];
}

/** Folder → allowed folders, from the markdown table under "## What may import what". */
function readTable(): { allowed: Map<string, Set<string> | 'all' | 'all-but-cli'>; text: string } {
  const text = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const start = text.indexOf('## What may import what');
  if (start < 0) throw new Error('docs/architecture.md has no "What may import what" section');
  const section = text.slice(start, text.indexOf('\n## ', start + 1));
  const allowed = new Map<string, Set<string> | 'all' | 'all-but-cli'>();
  for (const line of section.split('\n')) {
    const m = /^\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|$/.exec(line);
    if (!m || /^-+$/.test(m[1]) || m[1] === 'folder') continue;
    const folders = [...m[1].matchAll(/`([^`]+)`/g)].map((x) => x[1]);
    const cell = m[2];
    const value: Set<string> | 'all' | 'all-but-cli' = cell.startsWith('everything above except cli')
      ? 'all-but-cli'
      : cell.startsWith('everything')
        ? 'all'
        : new Set(cell === '—' ? [] : cell.replace(/\([^)]*\)/g, '').split(',').map((x) => x.trim()).filter(Boolean));
    for (const f of folders) allowed.set(f, value);
  }
  return { allowed, text };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Cross-folder edges: "from → to" with one example file each. */
function edges(): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of walk(SRC)) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, ' ');
    const a = unitOf(file);
    for (const m of text.matchAll(/(?:^(?:import|export)\b[^;]*?\bfrom\s*|\bimport\(\s*)['"](\.[^'"]+)['"]/gm)) {
      const b = unitOf(resolve(dirname(file), m[1]));
      if (b !== a && !out.has(`${a} → ${b}`)) out.set(`${a} → ${b}`, relative(ROOT, file));
    }
  }
  return out;
}

test('every src folder has a row in the table', (t) => {
  const { allowed } = readTable();
  const units = readdirSync(SRC).filter((f) => statSync(join(SRC, f)).isDirectory() || f.endsWith('.ts'));
  t.deepEqual(units.filter((u) => !allowed.has(u)), []);
});

test('every cross-folder import is an arrow of docs/architecture.md', (t) => {
  const { allowed } = readTable();
  const all = edges();
  t.true(all.size > 20, `read ${all.size} cross-folder edges`);
  const bad: string[] = [];
  for (const [edge, file] of all) {
    const [a, b] = edge.split(' → ');
    if (b === 'util') continue;
    const rule = allowed.get(a);
    const ok = rule === 'all' || (rule === 'all-but-cli' ? b !== 'cli' : rule?.has(b) ?? false);
    if (!ok) bad.push(`${edge} (e.g. ${file})`);
  }
  t.deepEqual(bad, [], 'move the code, or change the table in docs/architecture.md and say why');
});

test('the table is read as written (a wrong arrow would be caught)', (t) => {
  const { allowed } = readTable();
  t.deepEqual(allowed.get('util'), new Set());
  t.deepEqual(allowed.get('weights'), new Set(['code', 'priors']));
  t.deepEqual(allowed.get('data'), new Set(['native']));
  t.is(allowed.get('cli'), 'all');
  t.is(allowed.get('index.ts'), 'all-but-cli');
  // The engine stays out of the pure folders.
  for (const pure of ['code', 'gaze', 'priors', 'weights', 'eval', 'report']) {
    const rule = allowed.get(pure);
    t.true(rule instanceof Set && !rule.has('native') && !rule.has('model'), pure);
  }
});
