/** Token offsets (UTF-16 and code points), lines, and bare-method vs whole-class parsing. */
import test from 'ava';
import { initLabeller, labelCodeSync, langFromPath } from '../../src/code/index.ts';

test.before(async () => {
  await initLabeller(['java', 'csharp']);
});

const METHOD = `public String greet(String name) {
    // say hi 😀
    String s = "hi 😀 " + name;
    if (name.isEmpty()) { return "😀"; }
    for (int i = 0; i < 2; i++) { s += '!'; }
    return s;
}`;

test('every token is the exact source slice, in order, without overlaps; lines are 1-based', (t) => {
  for (const [code, lang] of [[METHOD, 'java'], ['int F(int x) { var s = $"v{x}"; return s.Length; }', 'csharp']] as const) {
    const tok = labelCodeSync(code, lang);
    t.true(tok.length > 10);
    let prevEnd = 0;
    for (const x of tok) {
      t.is(code.slice(x.start, x.end), x.text);
      t.true(x.start >= prevEnd, `overlap at ${x.text}`);
      prevEnd = x.end;
      t.is(x.line, code.slice(0, x.start).split('\n').length);
    }
  }
});

test('code-point offsets count a non-BMP character once', (t) => {
  const tok = labelCodeSync(METHOD, 'java');
  const cps = [...METHOD];
  for (const x of tok) {
    t.is(cps.slice(x.startCp, x.endCp).join(''), x.text);
    t.is(x.startCp, [...METHOD.slice(0, x.start)].length);
  }
  const str = tok.find((x) => x.text === '"hi 😀 "')!;
  t.truthy(str, 'the string literal is one token');
  t.is(str.end - str.start, 8); // 😀 is two UTF-16 units …
  t.is(str.endCp - str.startCp, 7); // … and one code point
  const after = tok.find((x) => x.text === 'name' && x.start > str.end)!;
  t.is(after.start - after.startCp, 2); // two 😀 before it (comment + string)
});

test('a bare method and the same method inside a class get the same labels', (t) => {
  const bare = labelCodeSync(METHOD, 'java');
  const prefix = 'package p;\nimport java.util.List;\n\npublic class Greeter {\n  private int n;\n  ';
  const unit = prefix + METHOD + '\n  int other() { return n; }\n}\n';
  const full = labelCodeSync(unit, 'java');
  const inMethod = full.filter((x) => x.start >= prefix.length && x.end <= prefix.length + METHOD.length);
  t.deepEqual(
    inMethod.map((x) => [x.start - prefix.length, x.text, x.label]),
    bare.map((x) => [x.start, x.text, x.label]),
  );
  // outside methods: unlabelled; the second method is labelled too
  t.is(full.find((x) => x.text === 'import')!.label, null);
  t.is(full.find((x) => x.text === 'Greeter')!.label, null);
  t.is(full.find((x) => x.text === 'other')!.label, 'function declaration');
});

test('punctuation the artifact drops is flagged', (t) => {
  const tok = labelCodeSync('void f() { a.b(c, d[0]); }', 'java');
  t.deepEqual(tok.filter((x) => x.punct).map((x) => x.text), ['(', ')', '{', '.', '(', ',', '[', ']', ')', ';', '}']);
  t.true(tok.filter((x) => !x.punct).every((x) => x.labelId > 0));
});

test('langFromPath', (t) => {
  t.is(langFromPath('a/B.java'), 'java');
  t.is(langFromPath('C.CS'), 'csharp');
  t.is(langFromPath('x.py'), null);
  t.is(langFromPath('Makefile'), null);
});
