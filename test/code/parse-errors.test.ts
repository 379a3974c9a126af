/**
 * Code the grammar cannot parse (tree-sitter ERROR / MISSING nodes): the labeller reports where,
 * leaves those regions unlabelled (label 0: no pseudo-path weight instead of a wrong label) and
 * labels the rest as usual; `label`/`weights` warn with file:line:col; training-data preparation
 * counts and names the affected examples in one summary line.
 *
 * The two constructs of issue 9 are valid code that tree-sitter-c-sharp / tree-sitter-java 0.23.5
 * (the newest releases on npm) do not parse: a C# interpolated verbatim string with escaped quotes
 * `$@"""{p}"""` and a Java record pattern with a qualified type `Shapes.Box(String id)`.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from 'tokenizers';
import { formatParseIssue, initLabeller, labelCodeDetailed, labelCodeSync } from '../../src/code/index.ts';
import { byteTokenizerJson } from '../../src/tokenizer/byte.ts';
import { formatParseIssueReport, prepareTrainExamples } from '../../src/train/examples.ts';
import { labelOf, show } from './helpers.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CS_VERBATIM = 'string F(string p) {\n  var s = $@"""{p}""";\n  return s;\n}';
const JAVA_RECORD = 'boolean f(Object o) {\n  if (o instanceof Shapes.Box(String id)) {\n    return id.isEmpty();\n  }\n  return false;\n}';
const JAVA_OK = 'int f(int a) {\n  return a + 1;\n}';

test.before(async () => {
  await initLabeller();
});

test('code that parses: no issues, labels as before', (t) => {
  const r = labelCodeDetailed(JAVA_OK, 'java');
  t.deepEqual(r.issues, []);
  t.deepEqual(r.tokens, labelCodeSync(JAVA_OK, 'java'));
  t.is(labelOf(r.tokens, 'return'), 'return');
});

test('Java qualified record pattern: the unparsed condition is unlabelled (not "parameter"), the rest labelled', (t) => {
  const r = labelCodeDetailed(JAVA_RECORD, 'java');
  t.deepEqual(r.issues.map((i) => [i.kind, i.line, i.column, i.missing ?? null, i.excerpt]), [
    ['missing', 2, 6, ')', '(o instanceof Shapes.Box'],
    ['error', 2, 30, null, '(String id))'],
  ]);
  for (const w of ['String', 'id']) t.is(labelOf(r.tokens, w), null, `${w}: was "parameter" before (${show(r.tokens)})`);
  for (const w of ['o', 'instanceof', 'Shapes', 'Box']) t.is(labelOf(r.tokens, w, w === 'o' ? 1 : 0), null, w);
  t.is(labelOf(r.tokens, 'if'), 'conditional statement');
  t.is(labelOf(r.tokens, 'isEmpty'), 'return');
  t.is(labelOf(r.tokens, 'false'), 'return');
  t.is(labelOf(r.tokens, 'f'), 'function declaration');
  t.is(formatParseIssue(r.issues[1]), '2:30: could not parse `(String id))` (its tokens are left unlabelled)');
});

test('C# interpolated verbatim string with "" escapes: reported (the grammar loses the whole method), all unlabelled', (t) => {
  const r = labelCodeDetailed(CS_VERBATIM, 'csharp');
  t.is(r.issues.length, 1);
  t.is(r.issues[0].kind, 'error');
  t.is(r.issues[0].line, 1);
  t.true(r.tokens.length > 10);
  t.true(r.tokens.every((x) => x.labelId === 0));
});

test('an error inside one statement leaves the other statements labelled', (t) => {
  const code = 'int f(int a) {\n  int b = a +* 2;\n  foo(b);\n  return b;\n}';
  const r = labelCodeDetailed(code, 'java');
  t.true(r.issues.length >= 1);
  t.true(r.issues.every((i) => i.line === 2), JSON.stringify(r.issues));
  t.is(labelOf(r.tokens, 'return'), 'return');
  t.is(labelOf(r.tokens, 'foo'), labelOf(labelCodeSync('int f(int a) {\n  int b = a * 2;\n  foo(b);\n  return b;\n}', 'java'), 'foo'), 'as in the same method without the error');
  for (const x of r.tokens) {
    const inIssue = r.issues.some((i) => x.start < i.end && x.end > i.start);
    if (inIssue) t.is(x.labelId, 0, x.text);
  }
});

test('label CLI: warns on stderr with file:line:col, exit 0; --json adds parseIssues', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'eyemulator-parse-'));
  const f = join(dir, 'R.java');
  writeFileSync(f, JAVA_RECORD);
  const ok = join(dir, 'A.java');
  writeFileSync(ok, JAVA_OK);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), 'label', f, ok, '--json'], { cwd: repo, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.stderr.trim().split('\n'), [
    `eyemulator: warning: ${f}:2:6: missing ")" in \`(o instanceof Shapes.Box\` (its tokens are left unlabelled)`,
    `eyemulator: warning: ${f}:2:30: could not parse \`(String id))\` (its tokens are left unlabelled)`,
  ]);
  const [a, b] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.is(a.parseIssues.length, 2);
  t.deepEqual(Object.keys(b), ['file', 'tokens'], 'a file that parses keeps the plain shape');
});

test('training-data preparation counts and names the affected examples in one line', async (t) => {
  const tok = Tokenizer.fromString(JSON.stringify(byteTokenizerJson()));
  const exs = [
    { id: 'ok-1', input: 'int f(int a) { return a; }', target: 'int F(int a) { return a; }' },
    { id: 'bad-cs', input: 'String f(String p) { return p; }', target: CS_VERBATIM },
    { id: 'ok-2', input: 'int g() { return 2; }', target: 'int G() { return 2; }' },
    { id: 'bad-java-input', input: JAVA_RECORD, target: 'bool F(object o) { return o is Shapes.Box; }' },
  ];
  const { examples, parseIssues } = await prepareTrainExamples(tok as never, exs as never, {
    task: 'translation', maxLength: 4000, lossOn: 'input+output', special: { bos: 256, eos: 257 }, label: true,
  });
  t.is(examples.length, 4);
  t.deepEqual(parseIssues, { labelled: 4, ids: ['bad-cs', 'bad-java-input'], issues: 3 });
  t.is(formatParseIssueReport(parseIssues),
    'labeller: 2 of 4 training examples hold code the grammar could not parse (3 regions, left unlabelled: no path weights there): bad-cs, bad-java-input');
  t.is(formatParseIssueReport({ labelled: 9, ids: ['a', 'b', 'c'], issues: 3 }, 2), 'labeller: 3 of 9 training examples hold code the grammar could not parse (3 regions, left unlabelled: no path weights there): a, b and 1 more');
  t.is(formatParseIssueReport({ labelled: 9, ids: [], issues: 0 }), null);
  // The C# target of bad-cs carries no labels at all; the good ones do.
  t.true(examples[1].target!.labelIds.every((l) => l === 0));
  t.true(examples[0].target!.labelIds.some((l) => l !== 0));
  // …so no path can pick its tokens: its candidate lists are empty.
  t.is(examples[1].target!.candStart.at(-1), 0);
});
