/**
 * Agreement of the code labeller with the EyeMulator artifact's labels (METHOD.md §1).
 *
 *   node --import tsx scripts/label-agreement.ts [--show N] [files…]
 *   node --import tsx scripts/label-agreement.ts --speed [FILE]
 *
 * Files default to the artifact's corpus valid files and dataset samples under
 * $EYEMULATOR_DATA (default <repo>/../shared/data)/eyemulator/. Per file: tokens compared,
 * unaligned tokens, overall accuracy, per-label table, top confusions. --show N prints the first
 * N examples with a mismatch (artifact label vs ours per token), to study disagreements.
 * --speed measures parse+label throughput on one core over a one-method-per-line Java file
 * (default: CodeXGLUE java-cs train.java-cs.txt.java).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agreement, readArtifactJsonl, STRUCTURAL_LABELS } from '../src/code/agreement.ts';
import { initLabeller, labelCodeSync } from '../src/code/index.ts';
import { labelName, LABELS } from '../src/code/labels.ts';
import { dataRoot as sharedDataRoot } from '../src/util/paths.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataRoot = sharedDataRoot();

function defaultFiles(): string[] {
  const base = join(dataRoot, 'eyemulator');
  const files = ['corpus/translation_valid.jsonl', 'corpus/summarization_valid.jsonl'].map((f) => join(base, f));
  const sampleDir = join(base, 'dataset_sample');
  if (existsSync(sampleDir)) {
    for (const f of readdirSync(sampleDir).filter((x) => x.endsWith('.jsonl')).sort()) files.push(join(sampleDir, f));
  }
  return files.filter((f) => existsSync(f));
}

const args = process.argv.slice(2);
let show = 0;
let speed = false;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--show') show = Number(args[++i] ?? '0');
  else if (args[i] === '--speed') speed = true;
  else files.push(resolve(args[i]));
}

if (speed) {
  const file = files[0] ?? join(dataRoot, 'codexglue', 'java-cs', 'train.java-cs.txt.java');
  const methods = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
  await initLabeller(['java']);
  for (const m of methods.slice(0, 500)) labelCodeSync(m, 'java'); // warm-up (JIT)
  let tokens = 0;
  const t0 = performance.now();
  for (const m of methods) tokens += labelCodeSync(m, 'java').length;
  const s = (performance.now() - t0) / 1000;
  console.log(`${file}: ${methods.length} methods, ${tokens} tokens in ${s.toFixed(2)} s: ${(methods.length / s).toFixed(0)} methods/s, ${(tokens / s / 1000).toFixed(0)}k tokens/s (parse + label, one core)`);
  process.exit(0);
}
if (files.length === 0) files.push(...defaultFiles());
if (files.length === 0) {
  console.error(`label-agreement: no data files under ${dataRoot}/eyemulator (set EYEMULATOR_DATA or pass files)`);
  process.exit(1);
}

const pct = (x: number): string => (100 * x).toFixed(2).padStart(6) + '%';
const short = (id: number): string => labelName(id) ?? '-';

await initLabeller(['java']);
for (const file of files) {
  const ag = new Agreement();
  let shown = 0;
  for (const ex of readArtifactJsonl(file)) {
    const ours = labelCodeSync(ex.code, 'java');
    const map = ag.add(ours, ex.tokens, ex.labels);
    if (shown < show && map.some((i, j) => i >= 0 && ours[i].labelId !== ex.labels[j])) {
      shown++;
      console.log(`--- ${file}:${ex.line}\n${ex.code}`);
      console.log(
        ex.tokens
          .map((t, j) => {
            const i = map[j];
            const ref = short(ex.labels[j]);
            if (i < 0) return `  ${t}  [${ref}]  UNALIGNED`;
            const got = short(ours[i].labelId);
            return `  ${t}  [${ref}]${got === ref ? '' : `  ≠ ours [${got}]`}`;
          })
          .join('\n'),
      );
    }
  }
  console.log(`\n== ${file}`);
  console.log(`examples ${ag.examples}, artifact tokens ${ag.total}, compared ${ag.compared}, unaligned ${ag.unaligned} (ours without a partner: ${ag.oursUnaligned})`);
  console.log(`overall accuracy ${pct(ag.accuracy)}`);
  console.log('label                                      n   accuracy');
  for (let id = 0; id <= LABELS.length; id++) {
    const s = ag.perLabel.get(id);
    if (!s) continue;
    const name = labelName(id) ?? '(unlabelled)';
    const mark = (STRUCTURAL_LABELS as readonly string[]).includes(name) ? '*' : ' ';
    console.log(`${mark}${name.padEnd(40)} ${String(s.n).padStart(6)}  ${pct(s.correct / s.n)}`);
  }
  console.log('(* structural labels, rules 1–6)\ntop confusions (artifact → ours):');
  for (const [r, o, c] of ag.topConfusions(12)) console.log(`  ${String(c).padStart(5)}  ${r} → ${o}`);
}
