/** Initialisation: the sync API refuses to run before the grammar is loaded; the async one loads it. */
import test from 'ava';
import { labelCode, labelCodeSync } from '../../src/code/index.ts';

test.serial('labelCodeSync before initLabeller throws a clear error; labelCode loads lazily', async (t) => {
  const err = t.throws(() => labelCodeSync('void f() {}', 'csharp'));
  t.regex(err!.message, /initLabeller/);
  const tok = await labelCode('void F() { return; }', 'csharp');
  t.is(tok.find((x) => x.text === 'return')!.label, 'return');
  t.notThrows(() => labelCodeSync('void F() {}', 'csharp'));
});

test.serial('unknown language is an option error', async (t) => {
  await t.throwsAsync(() => labelCode('x', 'python' as never), { message: /unknown code language "python"/ });
});
