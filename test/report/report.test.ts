import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildReport,
  loadResults,
  parseResults,
  renderCharts,
  reportHtml,
  reportMarkdown,
  reportText,
  runFromEvaluation,
  writeReport,
  fmt,
  fmtCi,
  RESULTS_FORMAT,
  type ResultsFile,
  type RunResult,
} from '../../src/report/index.ts';
import { copyInputBaseline } from '../../src/experiment/baselines.ts';
import { chrfFromStats, chrfStats, evaluate, pairedBootstrap } from '../../src/eval/index.ts';
import { InputError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { tempDir } from '../helpers/tiny-model.ts';

// --- a hand-made results object --------------------------------------------------------------

const IDS = ['a', 'b', 'c', 'd', 'e', 'f'];
const LENGTHS = [5, 40, 12, 33, 8, 60]; // median 22.5 → short: a, c, e; long: b, d, f
const REFS = ['int a = 1;', 'return x + y;', 'foo(bar);', 'if (x) { y(); }', 'var z = 3;', 'for (;;) { }'];
const PREDS: Record<string, string[][]> = {
  // variant → seed → predictions
  baseline: [
    ['int a = 2;', 'return x;', 'foo(baz);', 'if (x) { }', 'var z = 3;', 'while (true) { }'],
    ['int a = 1;', 'return y;', 'foo();', 'if (y) { y(); }', 'var q = 3;', 'for (;;) {'],
  ],
  full: [
    ['int a = 1;', 'return x + z;', 'foo(bar);', 'if (x) { }', 'var z = 3;', 'for (;;) { }'],
    ['int b = 1;', 'return x + y;', 'foo(bar)', 'if (x) { y(); }', 'var z = 4;', 'for (;) { }'],
  ],
};
// Exact-match-like per-example values (0/100) and a second mean metric with fractional values.
const EXACT: Record<string, number[][]> = {
  baseline: [[0, 0, 0, 0, 100, 0], [100, 0, 0, 0, 0, 0]],
  full: [[100, 0, 100, 0, 100, 100], [0, 100, 0, 100, 0, 0]],
};
const ROUGE: Record<string, number[][]> = {
  baseline: [[80, 40, 60, 70, 100, 30], [100, 50, 55, 90, 70, 85]],
  full: [[100, 75, 100, 70, 100, 100], [75, 100, 90, 100, 80, 85]],
};
const SEEDS = [1, 2];

function run(variant: string, si: number, order = [0, 1, 2, 3, 4, 5]): RunResult {
  return {
    variant,
    seed: SEEDS[si],
    task: 'translation',
    regime: 'full',
    examples: order.map((i) => ({ id: IDS[i], inputLength: LENGTHS[i] })),
    metrics: {
      exact: { kind: 'mean', values: order.map((i) => EXACT[variant][si][i]) },
      rougeL: { kind: 'mean', values: order.map((i) => ROUGE[variant][si][i]) },
      chrf: { kind: 'corpus', stats: order.map((i) => chrfStats(PREDS[variant][si][i], REFS[i])) },
    },
    // ce (plain CE) differs from loss (the objective) so that a chart showing the wrong one is caught.
    curve: Array.from({ length: 5 }, (_, s) => ({ step: 10 * s, loss: 3 - 0.4 * s - 0.1 * si - (variant === 'full' ? 0.05 : 0), ce: 4 - 0.3 * s - 0.1 * si })),
    diagnostics: { focus: order.map((i) => (i + 1) / 10 + si / 100) },
  };
}

function handMade(): ResultsFile {
  return {
    format: RESULTS_FORMAT,
    title: 'Hand-made',
    runs: [run('baseline', 0), run('baseline', 1), run('full', 0), run('full', 1)],
    trivial: [{
      name: 'copy-input', task: 'translation',
      examples: IDS.map((id, i) => ({ id, inputLength: LENGTHS[i] })),
      metrics: {
        exact: { kind: 'mean', values: [0, 0, 0, 0, 0, 0] },
        rougeL: { kind: 'mean', values: [10, 20, 30, 40, 50, 60] },
        chrf: { kind: 'corpus', stats: REFS.map((r) => chrfStats('x', r)) },
      },
    }],
  };
}

// independent recomputations
const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const seedAvg = (tbl: number[][]) => IDS.map((_, i) => avg(tbl.map((row) => row[i])));
const T975_DF5 = 2.5705818366147395; // t_{0.975, 5}
function tCi(xs: number[]): [number, number] {
  const m = avg(xs);
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
  const h = (T975_DF5 * sd) / Math.sqrt(xs.length);
  return [m - h, m + h];
}
function chrfPooled(variant: string, idx = [0, 1, 2, 3, 4, 5]): number {
  const stats = PREDS[variant].flatMap((preds) => idx.map((i) => chrfStats(preds[i], REFS[i])));
  const sum = stats[0].map((_, k) => stats.reduce((s, r) => s + r[k], 0));
  return chrfFromStats(sum);
}

test('table numbers equal an independent recomputation (seed pooling, t CI, corpus pooling, per-seed)', (t) => {
  const rep = buildReport(handMade(), { bootstrapB: 500 });
  t.is(rep.groups.length, 1);
  const g = rep.groups[0];
  t.deepEqual(g.metrics, ['exact', 'chrf', 'rougeL']);
  t.is(g.primaryMetric, 'chrf');
  t.deepEqual(g.cells.map((c) => [c.variant, c.kind, c.seeds, c.n]), [
    ['baseline', 'variant', [1, 2], 6], ['full', 'variant', [1, 2], 6], ['copy-input', 'trivial', [], 6],
  ]);
  for (const v of ['baseline', 'full']) {
    const c = g.cells.find((x) => x.variant === v)!;
    for (const [m, tbl] of [['exact', EXACT[v]], ['rougeL', ROUGE[v]]] as const) {
      const s = c.metrics[m]!;
      const pooled = seedAvg(tbl);
      t.true(Math.abs(s.mean - avg(pooled)) < 1e-9, `${v} ${m} mean`);
      const [lo, hi] = tCi(pooled);
      t.true(Math.abs(s.ci95[0] - lo) < 1e-6 && Math.abs(s.ci95[1] - hi) < 1e-6, `${v} ${m} CI`);
      t.is(s.ciMethod, 't');
      t.deepEqual(s.perSeed.map((x) => Math.round(x * 1e9) / 1e9), tbl.map((row) => Math.round(avg(row) * 1e9) / 1e9));
    }
    const ch = c.metrics.chrf!;
    t.true(Math.abs(ch.mean - chrfPooled(v)) < 1e-9, `${v} chrF pooled`);
    t.is(ch.ciMethod, 'bootstrap');
    t.true(ch.ci95[0] <= ch.mean + 1e-9 && ch.mean <= ch.ci95[1] + 1e-9);
    t.true(Math.abs(ch.perSeed[1] - chrfFromStats(IDS.map((_, i) => chrfStats(PREDS[v][1][i], REFS[i])).reduce((a, b) => a.map((x, k) => x + b[k])))) < 1e-9);
  }
  // deltas: pairedBootstrap on the independently pooled per-example values, same B and seed
  const d = g.deltas.find((x) => x.variant === 'full' && x.metric === 'rougeL' && x.subset === 'all')!;
  const ref = pairedBootstrap({ kind: 'mean', values: seedAvg(ROUGE.full) }, { kind: 'mean', values: seedAvg(ROUGE.baseline) }, { B: 500, seed: 0 });
  t.true(Math.abs(d.delta - (avg(seedAvg(ROUGE.full)) - avg(seedAvg(ROUGE.baseline)))) < 1e-9);
  t.deepEqual([d.ci95, d.p, d.n, d.B], [ref.ci95, ref.p, 6, 500]);
  t.deepEqual([d.seeds, d.baselineSeeds], [[1, 2], [1, 2]]);
  // diagnostics: seed-averaged per example
  const fd = g.diagnostics.find((x) => x.variant === 'full' && x.name === 'focus')!;
  t.true(Math.abs(fd.mean - avg(IDS.map((_, i) => (i + 1) / 10 + 0.005))) < 1e-12);
});

test('the length split cuts at the median and recomputes scores on each half', (t) => {
  const g = buildReport(handMade(), { bootstrapB: 200, splitMetrics: ['chrf', 'rougeL'] }).groups[0];
  t.is(g.medianLength, 22.5);
  t.deepEqual([g.nShort, g.nLong], [3, 3]);
  const short = [0, 2, 4], long = [1, 3, 5];
  const row = g.lengthSplit.find((r) => r.variant === 'full' && r.metric === 'rougeL')!;
  const pooled = seedAvg(ROUGE.full);
  t.true(Math.abs(row.short - avg(short.map((i) => pooled[i]))) < 1e-9);
  t.true(Math.abs(row.long - avg(long.map((i) => pooled[i]))) < 1e-9);
  const crow = g.lengthSplit.find((r) => r.variant === 'baseline' && r.metric === 'chrf')!;
  t.true(Math.abs(crow.short - chrfPooled('baseline', short)) < 1e-9);
  t.true(Math.abs(crow.long - chrfPooled('baseline', long)) < 1e-9);
  const ds = g.deltas.filter((d) => d.variant === 'full' && d.metric === 'rougeL');
  t.deepEqual(ds.map((d) => [d.subset, d.n]), [['all', 6], ['short', 3], ['long', 3]]);
  t.true(g.lengthSplit.some((r) => r.kind === 'trivial'));
});

test('runs are aligned by example id, whatever order they list examples in', (t) => {
  const a = buildReport(handMade(), { bootstrapB: 300 });
  const shuffled = handMade();
  shuffled.runs[2] = run('full', 0, [5, 3, 1, 0, 2, 4]);
  shuffled.runs[1] = run('baseline', 1, [2, 0, 1, 5, 4, 3]);
  const b = buildReport(shuffled, { bootstrapB: 300 });
  t.deepEqual(b.groups[0].cells, a.groups[0].cells);
  t.deepEqual(b.groups[0].deltas, a.groups[0].deltas);
});

test('a CI covering 0 yields the null-result wording; a clear effect does not', async (t) => {
  const r = handMade();
  // "same": the baseline's numbers plus tiny noise → CI covers 0
  const rng = new Rng(3);
  const noisy = (si: number): RunResult => {
    const base = run('baseline', si);
    return { ...base, variant: 'same', metrics: { ...base.metrics, rougeL: { kind: 'mean', values: ROUGE.baseline[si].map((x) => x + (rng.next() - 0.5)) } } };
  };
  // "better": +20 on every example → CI excludes 0
  const better = (si: number): RunResult => {
    const base = run('baseline', si);
    return { ...base, variant: 'better', metrics: { ...base.metrics, rougeL: { kind: 'mean', values: ROUGE.baseline[si].map((x) => x + 20) } } };
  };
  r.runs.push(noisy(0), noisy(1), better(0), better(1));
  const rep = buildReport(r, { bootstrapB: 1000, primaryMetric: { translation: 'rougeL' } });
  const g = rep.groups[0];
  const same = g.deltas.find((d) => d.variant === 'same' && d.metric === 'rougeL' && d.subset === 'all')!;
  const bet = g.deltas.find((d) => d.variant === 'better' && d.metric === 'rougeL' && d.subset === 'all')!;
  t.true(same.ci95[0] <= 0 && same.ci95[1] >= 0);
  t.is(same.verdict, 'no significant difference');
  t.is(bet.verdict, 'higher');
  t.true(Math.abs(bet.delta - 20) < 1e-9);
  const md = reportMarkdown(rep);
  const honest = md.slice(md.indexOf('## Honest reading'));
  const sameLine = honest.split('\n').find((l) => l.includes('`same` vs `baseline`'))!;
  t.regex(sameLine, /no significant difference \(the 95% CI covers 0\)/);
  const betterLine = honest.split('\n').find((l) => l.includes('`better` vs `baseline`'))!;
  t.notRegex(betterLine, /no significant difference/);
  t.regex(betterLine, /better scores higher than baseline \(the 95% CI excludes 0\)/);
  t.regex(honest, /comparisons .* have a 95% CI that excludes 0/);
});

test('a variant that ties the baseline exactly (up to floating point) gets delta 0 and p 1', (t) => {
  const r = handMade();
  // rougeL per example: baseline 0.1, 0.2, 0, 0, 0, 0; "tie" 0, 0, 0.3, 0, 0, 0 (both seeds). The
  // means are mathematically equal, but mean(tie) − mean(baseline) = −1.4e-17 in floating point
  // and Σ(a_i − b_i)/n = +9.3e-18 (0.1 + 0.2 − 0.3 = +5.6e-17, the issue-9 case): neither is 0.
  const B = [0.1, 0.2, 0, 0, 0, 0];
  const V = [0, 0, 0.3, 0, 0, 0];
  for (const run0 of r.runs) run0.metrics.rougeL = { kind: 'mean', values: [...B] };
  const tie = (si: number): RunResult => {
    const base = run('baseline', si);
    return { ...base, variant: 'tie', metrics: { ...base.metrics, rougeL: { kind: 'mean', values: [...V] } } };
  };
  r.runs.push(tie(0), tie(1));
  t.not(avg(V) - avg(B), 0);
  const g = buildReport(r, { bootstrapB: 500, primaryMetric: { translation: 'rougeL' } }).groups[0];
  const d = g.deltas.find((x) => x.variant === 'tie' && x.metric === 'rougeL' && x.subset === 'all')!;
  t.is(d.delta, 0);
  t.is(d.p, 1);
  t.is(d.verdict, 'no significant difference');
});

test("the report's numbers match the inputs (Markdown table, terminal table, JSON)", (t) => {
  const rep = buildReport(handMade(), { bootstrapB: 400 });
  const g = rep.groups[0];
  const md = reportMarkdown(rep);
  const base = g.cells[0];
  const row = md.split('\n').find((l) => l.startsWith('| baseline | 1, 2 | 6 |'))!;
  t.truthy(row);
  const exact = seedAvg(EXACT.baseline);
  t.true(row.includes(`${fmt(avg(exact))} ${fmtCi(tCi(exact))}`), row);
  t.true(row.includes(`${fmt(chrfPooled('baseline'))} ${fmtCi(base.metrics.chrf!.ci95)}`), row);
  const rouge = seedAvg(ROUGE.full);
  const frow = md.split('\n').find((l) => l.startsWith('| full | 1, 2 | 6 |'))!;
  t.true(frow.includes(`${fmt(avg(rouge))} ${fmtCi(tCi(rouge))}`), frow);
  t.regex(md, /\| copy-input \(trivial\) \| – \| 6 \| 0\.00 \[0\.00, 0\.00\]/);
  t.regex(md, /Per-seed chrF\+\+:/);
  const d = g.deltas.find((x) => x.variant === 'full' && x.metric === 'exact' && x.subset === 'all')!;
  t.regex(md, new RegExp(`\\| full \\| Exact \\| ${fmt(d.meanVariant)} \\| ${fmt(d.meanBaseline)} \\| \\+?${fmt(d.delta).replace('.', '\\.')} \\|`));
  t.regex(md, /EyeMulator/);
  t.regex(md, /ACL 2026/);
  t.regex(md, /EyeTrans/);
  t.regex(md, /FSE 2024/);
  t.regex(md, /CC-BY-4\.0/);
  const txt = reportText(rep);
  t.regex(txt, /== translation — full \(n = 6\) ==/);
  t.true(txt.includes(fmt(chrfPooled('full'))));
  t.true(txt.split('\n').some((l) => l.startsWith('baseline') && l.includes(fmt(avg(exact)))));
  // the JSON round-trips the same numbers
  const json = JSON.parse(JSON.stringify(rep));
  t.is(json.groups[0].cells[1].metrics.chrf.mean, g.cells[1].metrics.chrf!.mean);
});

/** A minimal XML well-formedness check: every tag closes in order. */
function wellFormed(svg: string): boolean {
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:.-]*)([^>]*?)(\/?)>/g;
  const body = svg.replace(/<!--[\s\S]*?-->/g, '').replace(/<\?[\s\S]*?\?>/g, '');
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    const [, close, name, , self] = m;
    if (self) continue;
    if (close) {
      if (stack.pop() !== name) return false;
    } else stack.push(name);
  }
  return stack.length === 0 && /^\s*<svg[\s>]/.test(body);
}

function groupsOf(svg: string, cls: string): string[] {
  // contents of each <g class="<cls> ..."> … </g> that holds no nested <g>
  const out: string[] = [];
  const re = new RegExp(`<g class="${cls}[^"]*"[^>]*>([\\s\\S]*?)</g>`, 'g');
  let m: RegExpExecArray | null;
  while ((m = re.exec(svg))) out.push(m[1]);
  return out;
}

function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

test('charts: the Δ headline first, then CE curves, then the primary metric per variant; SVGs parse and draw one mark per series', async (t) => {
  const rep = buildReport(handMade(), { bootstrapB: 200 });
  const g = rep.groups[0];
  const charts = await renderCharts(rep.groups);
  // deltas: full vs baseline on exact, chrF++, ROUGE-L; curves: 2 variants × 2 seeds; scores: 2 variants (copy-input not drawn)
  t.deepEqual(charts.map((c) => [c.file, c.kind, c.series]), [
    ['deltas-translation-full.svg', 'deltas', 3], ['curves-translation-full.svg', 'curves', 4], ['scores-translation-full.svg', 'scores', 2],
  ]);
  for (const c of charts) t.true(wellFormed(c.svg), c.file);
  const count = (svg: string, cls: string, el: string) => groupsOf(svg, cls).reduce((s, x) => s + (x.match(new RegExp(`<${el} `, 'g')) ?? []).length, 0);

  // Δ chart: one point and one CI rule per (variant, metric), plus the rule at 0; its numbers are the report's deltas.
  const [dc, cc, sc] = charts;
  t.is(count(dc.svg, 'mark-symbol role-mark', 'path'), 3);
  t.is(count(dc.svg, 'mark-rule role-mark', 'line'), 4);
  const dv = (dc.spec.data as { values: Array<{ metric: string; delta: number; lo: number; hi: number }> }).values;
  for (const d of g.deltas.filter((x) => x.subset === 'all')) {
    const v = dv.find((x) => x.metric === { exact: 'Exact', chrf: 'chrF++', rougeL: 'ROUGE-L' }[d.metric as 'exact' | 'chrf' | 'rougeL'])!;
    t.deepEqual([v.delta, v.lo, v.hi], [d.delta, d.ci95[0], d.ci95[1]]);
  }
  t.true(texts(dc.svg).some((x) => x.startsWith('Δ vs baseline')));

  // Curves: plain CE (not the objective), colour = variant, dash = seed, both labelled in the legend.
  t.is(count(cc.svg, 'mark-line role-mark', 'path'), 4);
  const cv = (cc.spec.data as { values: Array<{ step: number; value: number; variant: string; seed: string }> }).values;
  const full2 = cv.filter((v) => v.variant === 'full' && v.seed === 'seed 2').map((v) => v.value);
  t.deepEqual(full2, [0, 1, 2, 3, 4].map((s) => 4 - 0.3 * s - 0.1));
  t.regex(cc.title, /^Training CE on the loss positions/);
  for (const label of ['baseline', 'full', 'seed 1', 'seed 2']) t.true(texts(cc.svg).includes(label), `legend names ${label}`);

  // Scores: the variants only (mean point + CI rule + one hollow mark per seed); copy-input named in the subtitle with its score.
  t.is(count(sc.svg, 'mark-rule role-mark', 'line'), 2);
  t.is(count(sc.svg, 'mark-symbol role-mark', 'path'), 2 + 4);
  const copy = g.cells.find((c) => c.variant === 'copy-input')!.metrics.chrf!;
  const sub = texts(sc.svg).find((x) => x.startsWith('not drawn:'))!;
  t.is(sub, `not drawn: copy-input (trivial): ${fmt(copy.mean)} ${fmtCi(copy.ci95)}`);
  // …so the axis is the variants' own: every tick is above the copy-input score here.
  const ticks = groupsOf(sc.svg, 'mark-text role-axis-label').flatMap((x) => texts(x)).map(Number).filter(Number.isFinite);
  t.true(ticks.length > 2);
  t.true(Math.min(...ticks) > copy.mean, `ticks ${ticks.join(',')} vs copy-input ${copy.mean}`);

  // One colour per variant in every chart (the Δ chart has no baseline series, yet full keeps its colour).
  const colourOf = (spec: Record<string, unknown>, v: string): string => {
    const find = (o: unknown): { domain: string[]; range: string[] } | undefined => {
      if (!o || typeof o !== 'object') return undefined;
      const r = o as Record<string, unknown>;
      const c = r.color as { scale?: { domain: string[]; range: string[] } } | undefined;
      if (c?.scale) return c.scale;
      for (const x of Object.values(r)) { const f = find(x); if (f) return f; }
      return undefined;
    };
    const sc = find(spec)!;
    return sc.range[sc.domain.indexOf(v)];
  };
  t.is(colourOf(dc.spec, 'full'), colourOf(cc.spec, 'full'));
  t.is(colourOf(sc.spec, 'full'), colourOf(cc.spec, 'full'));
  t.not(colourOf(cc.spec, 'full'), colourOf(cc.spec, 'baseline'));

  // deterministic
  const again = await renderCharts(rep.groups);
  t.deepEqual(again.map((c) => c.svg), charts.map((c) => c.svg));
});

test('curves fall back to the training objective (and say so) when some run logged no plain CE', async (t) => {
  const r = handMade();
  r.runs[1].curve = r.runs[1].curve!.map(({ step, loss }) => ({ step, loss }));
  const charts = await renderCharts(buildReport(r, { bootstrapB: 50 }).groups);
  const cc = charts.find((c) => c.kind === 'curves')!;
  t.regex(cc.title, /^Training objective/);
  const cv = (cc.spec.data as { values: Array<{ value: number; variant: string; seed: string }> }).values;
  t.deepEqual(cv.filter((v) => v.variant === 'full' && v.seed === 'seed 1').map((v) => v.value), [0, 1, 2, 3, 4].map((s) => 3 - 0.4 * s - 0.05));
  t.true(texts(cc.svg).some((x) => x.includes('not comparable across variants')));
});

test('writeReport writes report.md, report.html (inline SVGs, credit), the SVGs and report.json', async (t) => {
  const dir = join(tempDir(), 'rep');
  const w = await writeReport(handMade(), dir, { bootstrapB: 200 });
  t.deepEqual(w.files.map((f) => f.slice(dir.length + 1)), ['deltas-translation-full.svg', 'curves-translation-full.svg', 'scores-translation-full.svg', 'report.md', 'report.html', 'report.json']);
  const md = readFileSync(join(dir, 'report.md'), 'utf8');
  t.regex(md, /!\[Training CE on the loss positions — translation, full\]\(curves-translation-full\.svg\)/);
  t.true(md.indexOf('deltas-translation-full.svg') < md.indexOf('curves-translation-full.svg'));
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  t.regex(html, /^<!DOCTYPE html>/);
  t.is((html.match(/<svg[\s>]/g) ?? []).length, 3);
  t.notRegex(html, /<img /);
  t.regex(html, /<table>/);
  t.regex(html, /EyeTrans/);
  t.regex(html, /CC-BY-4\.0/);
  t.is(reportHtml(w.report, w.charts), html);
});

test('results validation and consistency errors name what is wrong', (t) => {
  t.throws(() => parseResults({ format: 'x', runs: [] }), { instanceOf: InputError, message: /field format/ });
  const bad = handMade() as unknown as { runs: { seed: unknown }[] };
  bad.runs[0].seed = 'one';
  t.throws(() => parseResults(bad, 'r.json'), { instanceOf: InputError, message: /^r\.json: field runs\.0\.seed/ });
  const missing = handMade();
  missing.runs[3] = { ...run('full', 1), examples: run('full', 1).examples.slice(0, 5), metrics: { exact: { kind: 'mean', values: [0, 0, 0, 0, 0] } } };
  t.throws(() => buildReport(missing), { instanceOf: InputError, message: /full, seed 2: evaluated on different examples/ });
  const dup = handMade();
  dup.runs.push(run('full', 1));
  t.throws(() => buildReport(dup), { instanceOf: InputError, message: /two runs with seed 2/ });
  const partial = handMade();
  delete partial.runs[3].metrics.rougeL;
  t.throws(() => buildReport(partial), { instanceOf: InputError, message: /metric rougeL is missing from some runs/ });
  const len = handMade();
  len.runs[2].examples[0].inputLength = 999;
  t.throws(() => buildReport(len), { instanceOf: InputError, message: /inputLength 999/ });
  t.notThrows(() => parseResults(JSON.parse(JSON.stringify(handMade()))));
});

test('results built from evaluate() round-trip through JSON; copy-input is a trivial baseline', async (t) => {
  const refs = ['public int F() { return 1; }', 'public void G() { }', 'public string H() { return s; }'];
  const inputs = ['public int f() { return 1; }', 'public void g() { }', 'public String h() { return s; }'];
  const preds = ['public int F() { return 1; }', 'public void G() { x(); }', 'public string H() { return t; }'];
  const exs = refs.map((r, i) => ({ id: `ex${i}`, inputLength: inputs[i].length, input: inputs[i], reference: r }));
  const ev = await evaluate(preds.map((p, i) => ({ prediction: p, reference: refs[i] })), 'translation');
  const r1 = runFromEvaluation({ variant: 'baseline', seed: 1, task: 'translation', regime: 'n=3' }, exs, ev);
  t.deepEqual(Object.keys(r1.metrics).sort(), ['bleu', 'chrf', 'codebleu', 'contain', 'exact', 'hExact', 'meteor', 'rougeL']);
  const copy = await copyInputBaseline('translation', exs, { regime: 'n=3' });
  t.is(copy.name, 'copy-input');
  const results: ResultsFile = { format: RESULTS_FORMAT, lengthUnit: 'characters', runs: [r1], trivial: [copy] };
  const dir = tempDir();
  const file = join(dir, 'results.json');
  (await import('node:fs')).writeFileSync(file, JSON.stringify(results));
  const rep = buildReport(loadResults(file), { bootstrapB: 100 });
  const g = rep.groups[0];
  t.is(g.primaryMetric, 'codebleu');
  const c = g.cells[0];
  for (const m of ['exact', 'bleu', 'codebleu', 'chrf', 'meteor', 'rougeL'] as const) t.true(Math.abs(c.metrics[m]!.mean - (ev[m] as number)) < 1e-9, m);
  t.true(g.cells[1].metrics.exact!.mean === 0);
  t.regex(reportMarkdown(rep), /no variant to compare with `baseline`/);
  // The quality bar is read on CodeBLEU (primary) and BLEU: one line each for the copy-input baseline.
  const reading = reportMarkdown(rep);
  for (const m of ['CodeBLEU', 'BLEU']) {
    const copyScore = g.cells[1].metrics[m === 'BLEU' ? 'bleu' : 'codebleu']!.mean;
    t.true(reading.includes(`the trivial baseline \`copy-input\` scores ${m} ${fmt(copyScore)}`), m);
  }
  t.throws(() => loadResults(join(dir, 'nope.json')), { instanceOf: InputError });
});
