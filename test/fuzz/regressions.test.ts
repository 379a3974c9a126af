/**
 * Replays every fuzz finding (test/fixtures/fuzz/<case>/: the case's files and case.json, as
 * `npm run fuzz -- --save DIR` writes them) through the CLI in-process (scripts/fuzz/harness.ts):
 * an 'invalid' input must end in a clean typed (or usage) error, a 'valid' one must be accepted —
 * never a stack trace. Signals, hangs and memory blow-ups of the original findings would fail here
 * too (the test process would die or time out). A few seconds in all.
 */
import test from 'ava';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../scripts/fuzz/harness.ts';
import { tempDir } from '../helpers/tiny-model.ts';

const FIX = fileURLToPath(new URL('../fixtures/fuzz/', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

interface Case { target: string; kind: string; expect: 'invalid' | 'valid'; argv: string[]; found: string }

const cases = existsSync(FIX) ? readdirSync(FIX).filter((d) => existsSync(join(FIX, d, 'case.json'))).sort() : [];

test('the regression corpus is there', (t) => {
  t.true(cases.length > 0, `no cases under ${FIX}`);
});

for (const name of cases) {
  const c = JSON.parse(readFileSync(join(FIX, name, 'case.json'), 'utf8')) as Case;
  test.serial(`fuzz regression ${name} (${c.target}: ${c.kind}, ${c.expect})`, async (t) => {
    const dir = join(tempDir('eyemulator-fuzz-replay-'), 'case');
    cpSync(join(FIX, name), dir, { recursive: true });
    const argv = c.argv.map((x) => x.replace('$CASE', dir).replace('$REPO', REPO));
    const r = await runCli(argv);
    t.not(r.ending, 'stack-trace', `${r.message}\n(found: ${c.found})`);
    if (c.expect === 'invalid') t.true(r.ending === 'typed-error' || r.ending === 'usage-error', `accepted an invalid input (found: ${c.found})`);
    else t.is(r.ending, 'accepted', r.message);
  });
}
