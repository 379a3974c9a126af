import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRIOR_LABELS } from '../../src/code/labels.ts';
import {
  aggregate,
  defaultPriorsPath,
  formatPriors,
  loadPriors,
  ngramCount,
  parsePriors,
  salience,
  savePriors,
  type Priors,
} from '../../src/priors/index.ts';
import { InputError } from '../../src/util/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'eyemulator-priors-'));

const base = (): Priors => ({
  format: 'eyemulator-priors/1',
  provenance: { source: 'hand-made' },
  minCount: 2,
  ngramOrder: 'sequence',
  modes: {
    combined: {
      labels: { loop: { alpha: 3, beta: 5, fixated: 2, shown: 6 }, return: { alpha: 1, beta: 3, fixated: 0, shown: 2 } },
      ngrams: { '1': { loop: 9, return: 4 }, '2': { 'loop|return': 7 }, '3': { 'loop|return|loop': 2 } },
    },
  },
});

test('salience, aggregate and n-gram look-ups', (t) => {
  const p = base();
  const mp = p.modes.combined!;
  t.is(salience(mp.labels.loop!), 3 / 8);
  t.deepEqual(aggregate(mp), { alpha: 4, beta: 8, mean: 4 / 12 });
  t.is(ngramCount(mp, ['loop', 'return'], 'sequence'), 7);
  t.is(ngramCount(mp, ['return', 'loop'], 'sequence'), 0);
  t.is(ngramCount(mp, ['loop', 'return', 'loop'], 'sequence'), 2);
  t.is(ngramCount(mp, ['return'], 'sequence'), 4);
  // sorted files: look-ups sort their labels
  const sorted = { ...mp, ngrams: { '1': {}, '2': { 'loop|return': 7 }, '3': {} } };
  t.is(ngramCount(sorted, ['return', 'loop'], 'sorted'), 7);
});

test('save then load round-trips; ngramOrder defaults to "sequence"', (t) => {
  const f = join(dir, 'p.json');
  savePriors(base(), f);
  t.deepEqual(loadPriors(f), base());
  const { ngramOrder: _, ...rest } = base();
  t.is(parsePriors(rest, 'x.json').ngramOrder, 'sequence');
});

test('validation errors name the file and the field', (t) => {
  const cases: [(p: Priors) => unknown, RegExp][] = [
    [(p) => ({ ...p, format: 'eyemulator-priors/2' }), /format/],
    [(p) => { (p.modes.combined!.labels as Record<string, unknown>)['loops'] = { alpha: 1, beta: 1, fixated: 0, shown: 0 }; return p; }, /modes\.combined\.labels\.loops: .*not a semantic label/],
    [(p) => { p.modes.combined!.labels.loop!.alpha = -1; return p; }, /modes\.combined\.labels\.loop\.alpha/],
    [(p) => { p.modes.combined!.labels.loop!.fixated = 9; return p; }, /modes\.combined\.labels\.loop\.fixated: fixated must not exceed shown/],
    [(p) => { p.modes.combined!.ngrams['2']['loop|return'] = 1; return p; }, /modes\.combined\.ngrams\.2\.loop\|return: count 1 is below the file's minCount 2/],
    [(p) => { p.modes.combined!.ngrams['2']['loop'] = 5; return p; }, /modes\.combined\.ngrams\.2\.loop: .*2 label name/],
    [(p) => ({ ...p, ngramOrder: 'sorted', modes: { combined: { ...p.modes.combined!, ngrams: { '1': {}, '2': { 'return|loop': 5 }, '3': {} } } } }), /return\|loop: key is not sorted/],
    [(p) => ({ ...p, modes: {} }), /modes: at least one mode/],
    [(p) => ({ ...p, modes: { skimming: p.modes.combined } }), /modes/],
    [(p) => { const { provenance: _, ...rest } = p; return rest; }, /provenance/],
  ];
  for (const [mutate, re] of cases) {
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify(mutate(base())));
    const err = t.throws(() => loadPriors(f), { instanceOf: InputError });
    t.true(err!.message.startsWith(`${f}: `), err!.message);
    t.regex(err!.message, re);
  }
  writeFileSync(join(dir, 'notjson.json'), '{"format": ');
  t.throws(() => loadPriors(join(dir, 'notjson.json')), { instanceOf: InputError, message: /notjson\.json: not valid JSON/ });
  t.throws(() => loadPriors(join(dir, 'missing.json')), { instanceOf: InputError, message: /missing\.json: cannot read/ });
});

test('the shipped default priors load: three modes, the artifact labels, sorted n-gram keys, credit', (t) => {
  const p = loadPriors(defaultPriorsPath());
  t.deepEqual(Object.keys(p.modes).sort(), ['combined', 'reading', 'writing']);
  t.is(p.ngramOrder, 'sorted');
  t.is(p.minCount, 5);
  t.deepEqual(Object.keys(p.modes.combined!.labels).sort(), [...PRIOR_LABELS].sort());
  t.is(p.modes.combined!.labels['variable declaration']!.alpha, 4774);
  const prov = p.provenance as { citations?: string[]; license?: string };
  t.true(prov.citations!.some((c) => c.includes('EyeMulator')) && prov.citations!.some((c) => c.includes('EyeTrans')));
  t.regex(prov.license!, /CC-BY-4\.0/);
  const text = formatPriors(p, 'combined', 3);
  t.regex(text, /function declaration\s+2900\s+1587\s+0\.6463/);
  t.regex(text, /E\[ρ\] = 0\.3520/);
  t.regex(text, /cite: .*EyeTrans/);
});
