import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSkipReport, parseArtifactLine, readArtifactJsonl, sha256File, streamArtifactJsonl } from '../../src/data/artifact-jsonl.ts';
import { defaultTaskSource, formatTaskData, loadTask, parseTaskName, splitForCompletion } from '../../src/data/tasks.ts';
import { InputError, OptionError } from '../../src/util/errors.ts';
import { dataRoot } from '../../src/util/paths.ts';
import { tempDir } from '../helpers/tiny-model.ts';

const rec = (o: Record<string, unknown>) => JSON.stringify({ code: 'int f() { return 1; }', content: 'int F() { return 1; }', flag: 'train', code_tokens: ['int', 'f'], line_numbers: [1, 1], ...o });

function jsonl(lines: string[]): string {
  const f = join(tempDir(), 'translation_train_sample.jsonl');
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

test('artifact JSONL: records stream with line numbers; blank lines and empty code/content are skipped and counted, not dropped silently', async (t) => {
  const f = jsonl([rec({}), '', rec({ code: '   ' }), rec({ content: '' }), rec({ code: 'class A {}', content: 'class A {}' })]);
  const r = await readArtifactJsonl(f);
  t.deepEqual(r.records.map((x) => x.line), [1, 5]);
  t.deepEqual(r.records[0].codeTokens, ['int', 'f']);
  t.is(r.records[0].flag, 'train');
  t.deepEqual(r.skips.map((s) => [s.line, s.reason]), [[2, 'blank line'], [3, 'empty code'], [4, 'empty content (target)']]);
  t.is(r.provenance.sha256, createHash('sha256').update(readFileSync(f)).digest('hex'));
  t.is(r.provenance.lines, 5);
  const data = await loadTask({ kind: 'artifact', file: f, task: 'translation' });
  t.is(data.skipped.total, 3);
  t.deepEqual(data.skipped.byReason['empty code'], { count: 1, examples: [`${f}:3`] });
  t.regex(formatSkipReport(data.skipped), /skipped: 3/);
  t.regex(formatTaskData(data), /translation: 2 examples/);
  t.deepEqual(data.examples.map((e) => e.id), ['translation_train_sample:1', 'translation_train_sample:5']);
  t.like(data.examples[0], { task: 'translation', input: 'int f() { return 1; }', target: 'int F() { return 1; }', source: { file: f, line: 1 } });
});

test('artifact JSONL: a malformed line is an InputError naming file:line', async (t) => {
  const cases: [string, RegExp][] = [
    ['{"code": "x", "content": ', /not valid JSON/],
    ['[1, 2]', /expected a JSON object/],
    [JSON.stringify({ code: 'x' }), /missing field "content"/],
    [JSON.stringify({ code: 3, content: 'y' }), /field "code" must be a string/],
    [rec({ code_tokens: [1, 2] }), /code_tokens/],
    [rec({ line_numbers: ['a'] }), /line_numbers/],
  ];
  for (const [bad, msg] of cases) {
    const f = jsonl([rec({}), rec({}), bad]);
    const err = await t.throwsAsync(readArtifactJsonl(f), { instanceOf: InputError, message: msg });
    t.true(err!.message.startsWith(`${f}:3: `), err!.message);
    t.is((err as InputError).line, 3);
  }
  await t.throwsAsync(readArtifactJsonl('/no/such/file.jsonl'), { instanceOf: InputError, message: /missing artifact JSONL/ });
  t.throws(() => parseArtifactLine('null', { file: 'x', line: 9 }), { message: /^x:9: / });
});

test('streaming yields records one at a time (readline), with the skip callback', async (t) => {
  const f = jsonl([rec({}), '   ', rec({})]);
  const seen: number[] = [];
  const skipped: number[] = [];
  for await (const r of streamArtifactJsonl(f, (s) => skipped.push(s.line))) seen.push(r.line);
  t.deepEqual(seen, [1, 3]);
  t.deepEqual(skipped, [2]);
});

test('completion split: a deterministic line cut with text on both sides; files under 2 non-blank lines are skipped', async (t) => {
  t.deepEqual(splitForCompletion('a\nb\nc\nd'), ['a\nb', 'c\nd']);
  t.deepEqual(splitForCompletion('a\nb\nc\nd\ne', 0.5), ['a\nb\nc', 'd\ne']); // round(2.5) = 3
  t.deepEqual(splitForCompletion('a\nb\nc\nd', 0.25), ['a', 'b\nc\nd']);
  t.deepEqual(splitForCompletion('a\n\n\n\nb'), ['a\n\n', '\nb']);
  t.deepEqual(splitForCompletion('a\r\nb\n\n'), ['a', 'b']);
  t.deepEqual(splitForCompletion('x\n  \n'), null);
  t.is(splitForCompletion('one line'), null);
  t.throws(() => splitForCompletion('a\nb', 1), { instanceOf: OptionError });
  const f = join(tempDir(), 'completion_train_sample.jsonl');
  writeFileSync(f, [rec({ content: 'class A {\n int x;\n int y;\n}' }), rec({ content: 'class B {}' })].join('\n'));
  const d = await loadTask({ kind: 'artifact', file: f, task: 'completion' });
  t.deepEqual(d.examples.map((e) => [e.id, e.input, e.target]), [['completion_train_sample:1', 'class A {\n int x;', ' int y;\n}']]);
  t.deepEqual(d.skips.map((s) => [s.line, s.reason]), [[2, 'completion: fewer than 2 non-blank lines']]);
});

test('CodeXGLUE translation: line-aligned pairs with stable ids and both files hashed', async (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'valid.java-cs.txt.java'), 'int a() {}\nint b() {}\n');
  writeFileSync(join(dir, 'valid.java-cs.txt.cs'), 'int A() {}\nint B() {}\n');
  const d = await loadTask({ kind: 'codexglue', dir, split: 'valid' });
  t.deepEqual(d.examples.map((e) => [e.id, e.input, e.target, e.source.line]), [
    ['codexglue-java-cs/valid:1', 'int a() {}', 'int A() {}', 1],
    ['codexglue-java-cs/valid:2', 'int b() {}', 'int B() {}', 2],
  ]);
  t.is(d.files.length, 2);
  t.is(d.files[0].sha256, await sha256File(join(dir, 'valid.java-cs.txt.java')));
  t.is(d.files[1].sha256, createHash('sha256').update('int A() {}\nint B() {}\n').digest('hex'));
  writeFileSync(join(dir, 'valid.java-cs.txt.cs'), 'int A() {}\n');
  await t.throwsAsync(loadTask({ kind: 'codexglue', dir, split: 'valid' }), { instanceOf: InputError, message: /line-aligned/ });
});

test('task names and default sources', (t) => {
  t.is(parseTaskName('summarization'), 'summarization');
  t.throws(() => parseTaskName('qa'), { instanceOf: OptionError, message: /translation, summarization, completion/ });
  const root = '/data';
  t.deepEqual(defaultTaskSource('translation', 'train', { root }), { kind: 'codexglue', dir: '/data/codexglue/java-cs', split: 'train' });
  t.deepEqual(defaultTaskSource('summarization', 'valid', { root }), { kind: 'artifact', file: '/data/eyemulator/corpus/summarization_valid.jsonl', task: 'summarization' });
  t.deepEqual(defaultTaskSource('completion', 'train', { root }), { kind: 'artifact', file: '/data/eyemulator/dataset_sample/completion_train_sample.jsonl', task: 'completion' });
  t.deepEqual(defaultTaskSource('translation', 'valid', { root, artifact: 'corpus' }), { kind: 'artifact', file: '/data/eyemulator/corpus/translation_valid.jsonl', task: 'translation' });
  t.throws(() => defaultTaskSource('completion', 'valid', { root, artifact: 'corpus' }), { instanceOf: OptionError });
});

const shared = dataRoot();
const hasShared = existsSync(join(shared, 'eyemulator', 'dataset_sample')) && existsSync(join(shared, 'codexglue', 'java-cs'));
if (!hasShared) console.log(`shared data not found at ${shared} (set EYEMULATOR_DATA): skipping the real-data loading test`);

(hasShared ? test : test.skip)('the shared data loads for every task with the documented counts and no skips', async (t) => {
  const tr = await loadTask(defaultTaskSource('translation', 'train'));
  t.is(tr.examples.length, 10295);
  t.is(tr.skipped.total, 0);
  t.regex(tr.files[0].sha256, /^[0-9a-f]{64}$/);
  const counts: [string, number][] = [];
  for (const task of ['translation', 'summarization', 'completion'] as const) {
    for (const split of ['train', 'valid'] as const) {
      const d = await loadTask(defaultTaskSource(task, split, { artifact: 'sample' }));
      counts.push([`${task}/${split}`, d.examples.length + d.skipped.total]);
      for (const e of d.examples) {
        t.true(e.input.trim().length > 0 && e.target.trim().length > 0, e.id);
        if (task === 'completion') t.true(e.input.length > 0 && !e.input.endsWith('\n'));
      }
      t.is(new Set(d.examples.map((e) => e.id)).size, d.examples.length);
    }
  }
  t.true(counts.every(([, n]) => n === 30), JSON.stringify(counts));
  const sv = await loadTask(defaultTaskSource('summarization', 'valid'));
  t.is(sv.examples.length + sv.skipped.total, 518);
  const tv = await loadTask(defaultTaskSource('translation', 'valid', { artifact: 'corpus' }));
  t.is(tv.examples.length + tv.skipped.total, 431);
});
