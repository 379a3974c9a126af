/**
 * The CLI is a shell over the public API (issue 11): every import of every src/cli/commands/**\/*.ts
 * file must name something src/index.ts exports, or be one of the named exceptions below. A thing
 * counts as exported when it is the same declaration: `loadPriors` imported from src/priors/io.ts is
 * public because src/index.ts exports `priors` (src/priors/index.ts, which re-exports io.ts whole).
 *
 * The parser reads the statements that start a line with `import` / `export` (how this code base
 * writes them) and `await import('…')` destructurings, and checks that it accounted for every
 * `from '…'` and `import(` in each file, so a statement written another way fails the test instead of
 * slipping past it.
 */
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const rel = (abs: string) => relative(ROOT, abs).split('\\').join('/');

/**
 * What the CLI still uses beyond the public API, and why. `names: '*'` covers a whole module or
 * pattern; otherwise every listed name must still be imported by some command and still be
 * non-public (the last test), so the list cannot silently go stale.
 */
const EXCEPTIONS: ReadonlyArray<{ from: string; names: readonly string[] | '*'; why: string }> = [
  // The CLI's own parts and the tools it is built with.
  { from: 'src/cli/**', names: '*', why: 'the CLI itself: subcommand modules, interrupt handling, shared option checks' },
  { from: 'node:*', names: '*', why: 'Node built-ins (files, paths)' },
  { from: 'yargs', names: '*', why: 'the argument parser' },
  { from: 'cli-progress', names: '*', why: 'terminal progress bars' },
  { from: 'zod', names: '*', why: 'eval validates its JSONL rows with a zod schema' },
  // File and terminal helpers a service brings its own of.
  { from: 'src/util/json.ts', names: ['stripBom', 'readJsonFile', 'readJsonFileIfExists', 'writeJsonAtomic'], why: 'JSON file reading/writing for command inputs and outputs' },
  { from: 'src/util/atomic-write.ts', names: ['writeTextAtomic', 'ensureDir', 'writeDirAtomic', 'copyFileAtomic'], why: 'atomic output files and folders (the project\'s writer)' },
  { from: 'src/util/paths.ts', names: ['packageRoot'], why: 'demo finds the shipped experiment file; doctor prints where the addon was looked for' },
  { from: 'src/data/artifact-jsonl.ts', names: ['readBoundedLines', 'MAX_JSONL_LINE_BYTES'], why: 'generate/eval read JSONL input files line by line with a line-size cap' },
  { from: 'src/train/progress.ts', names: ['autoProgress'], why: 'a bar on a terminal, lines elsewhere: a CLI choice' },
  { from: 'src/experiment/lock.ts', names: ['describeHolder'], why: 'experiment names the process holding the lock in its message' },
  { from: 'src/data/tasks.ts', names: ['formatTaskData'], why: 'attention prints what it loaded' },
  // Command-specific file formats and model-folder plumbing, not (yet) part of the API.
  { from: 'src/data/batch-json.ts', names: ['readBatchJson', 'BatchLimits'], why: 'model forward reads the CLI\'s BATCH.json format' },
  { from: 'src/model/tokenizer.ts', names: ['tokenizerFileVocabSize', 'tokenizerSpecialIds', 'loadTokenizerFile'], why: 'model init / weights read tokenizer.json directly, without a model folder' },
  { from: 'src/model/generation-config.ts', names: ['GENERATION_CONFIG_FILE', 'makeGenerationConfig'], why: 'model init writes generation_config.json beside the new weights' },
];

// --- a small parser for this code base's import/export statements ---------------------------------

interface ImportRecord {
  /** The importing file, repo-relative. */
  file: string;
  /** As written. */
  spec: string;
  /** Repo-relative target for relative specifiers; the specifier itself for packages. */
  module: string;
  /** Imported names ('default' for a default import, '*' for a namespace or whole-module import). */
  names: string[];
}

function stripComments(s: string): string {
  return s.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
}

function resolveSpec(fromFile: string, spec: string): string {
  return spec.startsWith('.') ? rel(resolve(dirname(fromFile), spec)) : spec;
}

/** Each top-level statement that starts a line with `import` or `export`, comments removed. */
function statements(text: string): string[] {
  const out: string[] = [];
  const re = /^(?:import|export)\b/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const end = text.indexOf(';', m.index);
    out.push(stripComments(text.slice(m.index, end < 0 ? text.length : end)));
  }
  return out;
}

/** `a, type b, c as d` → [{source: a, local: a}, {source: b, local: b}, {source: c, local: d}]. */
function clauseNames(clause: string): Array<{ source: string; local: string }> {
  return clause
    .split(',')
    .map((x) => x.trim().replace(/^type\s+/, ''))
    .filter(Boolean)
    .map((x) => {
      const [source, local] = x.split(/\s+as\s+/).map((y) => y.trim());
      return { source, local: local ?? source };
    });
}

function parseImports(absFile: string): ImportRecord[] {
  const text = readFileSync(absFile, 'utf8');
  const file = rel(absFile);
  const out: ImportRecord[] = [];
  for (const st of statements(text)) {
    const from = /\bfrom\s*['"]([^'"]+)['"]\s*$/.exec(st);
    if (st.startsWith('import')) {
      const bare = /^import\s*['"]([^'"]+)['"]\s*$/.exec(st);
      if (bare) {
        out.push({ file, spec: bare[1], module: resolveSpec(absFile, bare[1]), names: ['*'] });
        continue;
      }
      if (!from) throw new Error(`${file}: cannot read import statement: ${st}`);
      const head = st.slice(0, from.index).replace(/^import\s+(type\s+)?/, '').trim();
      const names: string[] = [];
      const braces = /\{([^}]*)\}/.exec(head);
      if (braces) names.push(...clauseNames(braces[1]).map((n) => n.source));
      const rest = head.replace(/\{[^}]*\}/, '').replace(/,/g, ' ').trim();
      if (/^\*\s+as\s+\w+$/.test(rest)) names.push('*');
      else if (/^[A-Za-z_$][\w$]*$/.test(rest)) names.push('default');
      else if (rest !== '') throw new Error(`${file}: cannot read import clause: ${head}`);
      out.push({ file, spec: from[1], module: resolveSpec(absFile, from[1]), names });
    } else if (from) {
      // export … from '…' in a command file re-exports, which is an import too.
      const braces = /\{([^}]*)\}/.exec(st);
      const names = braces ? clauseNames(braces[1]).map((n) => n.source) : ['*'];
      out.push({ file, spec: from[1], module: resolveSpec(absFile, from[1]), names });
    }
  }
  // `const { a, b: c } = await import('…')`, and any other import( as a whole-module import.
  const code = stripComments(text);
  const dyn = /import\(\s*(['"])([^'"]+)\1\s*\)/g;
  for (let m = dyn.exec(code); m; m = dyn.exec(code)) {
    const before = /(?:const|let)\s*\{([^}]*)\}\s*=\s*await\s*$/.exec(code.slice(0, m.index));
    const names = before ? before[1].split(',').map((x) => x.split(':')[0].trim()).filter(Boolean) : ['*'];
    out.push({ file, spec: m[2], module: resolveSpec(absFile, m[2]), names });
  }
  // Every `from '…'` and `import(` must have been read above.
  const fromCount = (code.match(/(?<!['"`])\bfrom\s*['"]/g) ?? []).length + (code.match(/^import\s*['"]/gm) ?? []).length;
  const importCalls = (code.match(/\bimport\(/g) ?? []).length;
  const readStatic = out.length - (code.match(/import\(\s*['"]/g) ?? []).length;
  if (fromCount !== readStatic || importCalls !== out.length - readStatic)
    throw new Error(`${file}: the parser read ${readStatic} static and ${out.length - readStatic} dynamic imports but the file has ${fromCount} and ${importCalls}`);
  return out;
}

/** Where an exported name comes from: the module that declares it and its name there. */
interface Origin {
  module: string;
  name: string;
}
const key = (o: Origin) => `${o.module}#${o.name}`;

const exportCache = new Map<string, Map<string, Origin>>();

/** Every name `module` exports, each traced through re-exports to its declaration. */
function exportsOf(module: string): Map<string, Origin> {
  const cached = exportCache.get(module);
  if (cached) return cached;
  const out = new Map<string, Origin>();
  exportCache.set(module, out); // cycles end here
  const abs = join(ROOT, module);
  const text = readFileSync(abs, 'utf8');
  const imported = new Map<string, Origin>(); // local name → origin, for `export { x }` of an import
  for (const st of statements(text)) {
    const from = /\bfrom\s*['"]([^'"]+)['"]\s*$/.exec(st);
    const target = from ? resolveSpec(abs, from[1]) : null;
    if (st.startsWith('import')) {
      const braces = /\{([^}]*)\}/.exec(st);
      if (braces && target && target.startsWith('src/'))
        for (const n of clauseNames(braces[1])) imported.set(n.local, exportsOf(target).get(n.source) ?? { module: target, name: n.source });
      continue;
    }
    let m: RegExpExecArray | null;
    if (target && (m = /^export\s+\*\s+as\s+([\w$]+)/.exec(st))) {
      out.set(m[1], { module: target, name: '*' });
    } else if (target && /^export\s+\*/.test(st)) {
      if (!target.startsWith('src/')) continue;
      for (const [n, o] of exportsOf(target)) if (n !== 'default') out.set(n, o);
    } else if ((m = /^export\s+(?:type\s+)?\{([^}]*)\}/.exec(st))) {
      for (const n of clauseNames(m[1])) {
        const origin = target
          ? (target.startsWith('src/') ? exportsOf(target).get(n.source) : undefined) ?? { module: target, name: n.source }
          : imported.get(n.source) ?? { module, name: n.source };
        out.set(n.local, origin);
      }
    } else if ((m = /^export\s+(?:declare\s+)?(?:async\s+)?(?:abstract\s+)?(?:function\*?|const|let|var|class|interface|type|enum|namespace)\s+([\w$]+)/.exec(st))) {
      out.set(m[1], { module, name: m[1] });
    } else if (/^export\s+default\b/.test(st)) {
      out.set('default', { module, name: 'default' });
    }
  }
  return out;
}

/** Declarations reachable through src/index.ts (namespace exports make a whole module public). */
function publicOrigins(): { names: Set<string>; modules: Set<string> } {
  const names = new Set<string>(), modules = new Set<string>();
  const visit = (module: string) => {
    if (modules.has(module)) return;
    modules.add(module);
    for (const o of exportsOf(module).values()) add(o);
  };
  const add = (o: Origin) => {
    if (o.name === '*') visit(o.module);
    else names.add(key(o));
  };
  for (const o of exportsOf('src/index.ts').values()) add(o);
  modules.delete('src/index.ts');
  return { names, modules };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function matches(pattern: string, module: string): boolean {
  if (pattern.endsWith('/**')) return module.startsWith(pattern.slice(0, -2));
  if (pattern.endsWith('*')) return module.startsWith(pattern.slice(0, -1));
  return module === pattern;
}

interface Verdict {
  record: ImportRecord;
  name: string;
  /** 'public', the matching exception, or null (a violation). */
  via: 'public' | (typeof EXCEPTIONS)[number] | null;
}

function judge(records: readonly ImportRecord[], pub: ReturnType<typeof publicOrigins>): Verdict[] {
  const out: Verdict[] = [];
  for (const r of records)
    for (const name of r.names) {
      if (r.module.startsWith('src/') && r.module !== 'src/index.ts') {
        const origin = name === '*' ? null : (exportsOf(r.module).get(name) ?? { module: r.module, name });
        if (name === '*' ? pub.modules.has(r.module) : pub.names.has(key(origin!)) || pub.modules.has(origin!.module)) {
          out.push({ record: r, name, via: 'public' });
          continue;
        }
      } else if (r.module === 'src/index.ts') {
        out.push({ record: r, name, via: 'public' });
        continue;
      }
      const ex = EXCEPTIONS.find((e) => matches(e.from, r.module) && (e.names === '*' || e.names.includes(name)));
      out.push({ record: r, name, via: ex ?? null });
    }
  return out;
}

const commandFiles = walk(join(ROOT, 'src/cli/commands')).sort();
const records = commandFiles.flatMap(parseImports);
const pub = publicOrigins();
const verdicts = judge(records, pub);

test('every CLI command imports only the public API or a listed exception', (t) => {
  t.true(commandFiles.length >= 15, `found ${commandFiles.length} command files`);
  const bad = verdicts.filter((v) => v.via === null).map((v) => `${v.record.file}: ${v.name} from ${v.record.module}`);
  t.deepEqual(bad, [], 'export these from src/index.ts (with docs), or add them to EXCEPTIONS with the reason');
  // Most of what the commands use is the public API, not the exceptions.
  const fromSrc = verdicts.filter((v) => v.record.module.startsWith('src/') && !v.record.module.startsWith('src/cli/'));
  t.true(fromSrc.filter((v) => v.via === 'public').length > fromSrc.length / 2);
});

test('every listed exception is still needed', (t) => {
  const stale: string[] = [];
  for (const e of EXCEPTIONS) {
    const used = verdicts.filter((v) => v.via === e);
    if (used.length === 0) stale.push(`${e.from}: not imported by any command`);
    if (e.names !== '*')
      for (const n of e.names) if (!used.some((v) => v.name === n)) stale.push(`${e.from}#${n}: public now or no longer imported`);
  }
  t.deepEqual(stale, [], 'remove stale entries from EXCEPTIONS');
});

test('the checker reads re-exports and flags an import past the API', (t) => {
  // Through `export * as priors` and priors/index.ts's `export * from './io.ts'`.
  t.true(pub.modules.has('src/priors/index.ts'));
  t.true(pub.names.has('src/priors/io.ts#loadPriors'));
  // A named re-export: src/index.ts exports Model from src/model/model.ts.
  t.true(pub.names.has('src/model/model.ts#Model'));
  t.true(pub.names.has('src/model/generation.ts#generateText'));
  // Not exported: a run's lock-file reader, and a name the module does not have at all.
  t.false(pub.names.has('src/experiment/lock.ts#describeHolder'));
  const fake: ImportRecord[] = [
    { file: 'src/cli/commands/fake.ts', spec: '../../experiment/lock.ts', module: 'src/experiment/lock.ts', names: ['acquireLock'] },
    { file: 'src/cli/commands/fake.ts', spec: '../../model/model.ts', module: 'src/model/model.ts', names: ['Model', 'NoSuchThing'] },
    { file: 'src/cli/commands/fake.ts', spec: 'left-pad', module: 'left-pad', names: ['default'] },
  ];
  t.deepEqual(
    judge(fake, pub).filter((v) => v.via === null).map((v) => v.name),
    ['acquireLock', 'NoSuchThing', 'default'],
  );
});

test('the parser reads every import form the commands use', (t) => {
  // weights.ts loads the labeller lazily: `const { … } = await import('../../code/index.ts')`.
  const lazy = records.filter((r) => r.file === 'src/cli/commands/weights.ts' && r.module === 'src/code/index.ts');
  t.true(lazy.some((r) => r.names.includes('labelCodeDetailed')));
  // A multi-line named import with inline `type` names (gaze.ts) and a default import (cli-progress).
  const gaze = records.find((r) => r.file === 'src/cli/commands/gaze.ts' && r.module === 'src/gaze/index.ts');
  t.true(gaze !== undefined && gaze.names.includes('detectFixations') && gaze.names.includes('SessionMode'));
  t.true(records.some((r) => r.module === 'cli-progress' && r.names.includes('default')));
});
