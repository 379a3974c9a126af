/**
 * Report charts as Vega-Lite specs rendered to SVG without a browser
 * (`new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' }).toSVG()`).
 * per (task, regime):
 * - deltas (the headline): Δ vs the baseline for every metric, point + 95% CI rule, rule at 0;
 * - training curves: plain CE on the loss positions (the same quantity for every variant), one
 *   line per variant × seed (colour = variant, dash = seed, both in the legend);
 * - scores: the primary metric per variant, mean + 95% CI and each seed's score; trivial baselines
 *   (copy-input) named with their score in the subtitle, not drawn, so they do not set the scale.
 * Rendering is deterministic (no timestamps, fixed sizes), so the same report gives the same SVG.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { GroupReport } from './compute.ts';
import { fmt, fmtCi } from './format.ts';
import { METRIC_LABELS } from './types.ts';

export interface Chart {
  /** File name (relative to the report folder). */
  file: string;
  title: string;
  /** deltas: Δ vs baseline per metric (the headline); curves: training CE; scores: the primary metric per variant. */
  kind: 'deltas' | 'curves' | 'scores';
  task: string;
  regime: string;
  /** Number of series drawn (lines or bars). */
  series: number;
  spec: Record<string, unknown>;
  svg: string;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Vega's tableau10 scheme, so that colours can be fixed per variant. */
const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];

/**
 * A colour scale for the variants `shown`, each coloured by its place among all the group's variants
 * (report order, baseline first): a variant has one colour in every chart, whichever it appears in.
 */
function variantColors(g: GroupReport, shown: readonly string[]): { domain: string[]; range: string[] } {
  const all = g.cells.filter((c) => c.kind === 'variant').map((c) => c.variant);
  const domain = shown.filter((v) => all.includes(v));
  return { domain, range: domain.map((v) => PALETTE[all.indexOf(v) % PALETTE.length]) };
}

/**
 * The curve quantity of a group: plain CE on the loss positions when every curve point has it (the
 * same quantity for every variant), else the training objective (older results), which the title
 * says is not comparable across variants with different weights.
 */
export function curveQuantity(g: GroupReport): 'ce' | 'loss' {
  return g.curves.every((c) => c.points.every((p) => p.ce !== undefined)) ? 'ce' : 'loss';
}

/** Curve points averaged on each side of a point (the curves hold ≤ 200 points per run). */
const SMOOTH = 5;

/** Curves: colour = variant, dash = seed (both in the legend), one line per variant × seed. */
export function curveSpec(g: GroupReport): Record<string, unknown> | null {
  const q = curveQuantity(g);
  const values = g.curves.flatMap((c) => c.points.map((p) => ({ step: p.step, value: q === 'ce' ? p.ce! : p.loss, variant: c.variant, seed: `seed ${c.seed}` })));
  if (values.length === 0) return null;
  const variants = [...new Set(g.curves.map((c) => c.variant))];
  const seeds = [...new Set(g.curves.map((c) => c.seed))].sort((a, b) => a - b).map((s) => `seed ${s}`);
  return {
    $schema: SCHEMA,
    title: {
      text: `${q === 'ce' ? 'Training CE on the loss positions' : 'Training objective'} — ${g.task}, ${g.regime}`,
      subtitle: q === 'ce'
        ? 'plain mean cross-entropy (weights 1, no preference term): the same quantity for every variant'
        : 'the objective each run minimised (weighted for gaze variants): not comparable across variants',
    },
    width: 520,
    height: 280,
    data: { values },
    // A centred running mean over ±SMOOTH points: per-step values swing with each batch's content
    // (the same batches for every variant), which hides the variants' differences.
    transform: [{ window: [{ op: 'mean', field: 'value', as: 'smoothed' }], frame: [-SMOOTH, SMOOTH], groupby: ['variant', 'seed'], sort: [{ field: 'step' }] }],
    mark: { type: 'line', strokeWidth: 1.5, opacity: 0.85 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'optimizer step' },
      y: { field: 'smoothed', type: 'quantitative', title: `${q === 'ce' ? 'CE (nats/token)' : 'training objective'}, running mean of ${2 * SMOOTH + 1} points`, scale: { zero: false } },
      color: { field: 'variant', type: 'nominal', title: 'variant', sort: variants, scale: variantColors(g, variants) },
      strokeDash: { field: 'seed', type: 'nominal', title: 'seed', sort: seeds },
      detail: { field: 'seed', type: 'nominal' },
    },
  };
}

/**
 * The headline: Δ vs the baseline for every metric on the whole split, a point at Δ and a rule over
 * its 95% CI (paired bootstrap), one row per metric, variants side by side, a rule at 0.
 */
export function deltaSpec(g: GroupReport): Record<string, unknown> | null {
  const values = g.deltas
    .filter((d) => d.subset === 'all')
    .map((d) => ({ metric: METRIC_LABELS[d.metric], variant: d.variant, delta: d.delta, lo: d.ci95[0], hi: d.ci95[1], verdict: d.verdict }));
  if (values.length === 0) return null;
  const baseline = g.deltas[0].baseline;
  const metrics = [...new Set(values.map((v) => v.metric))];
  const variants = [...new Set(values.map((v) => v.variant))];
  const y = { field: 'metric', type: 'nominal', title: null, sort: metrics };
  const yOffset = { field: 'variant', type: 'nominal', sort: variants };
  const color = { field: 'variant', type: 'nominal', title: 'variant', sort: variants, scale: variantColors(g, variants) };
  return {
    $schema: SCHEMA,
    title: { text: `Δ vs ${baseline} (95% CI) — ${g.task}, ${g.regime}`, subtitle: 'paired bootstrap over examples, seeds pooled; a CI that crosses 0 is no significant difference' },
    width: 420,
    height: { step: 14 * Math.max(1, variants.length) },
    data: { values },
    layer: [
      { mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, data: { values: [{ zero: 0 }] }, encoding: { x: { field: 'zero', type: 'quantitative' } } },
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { y, yOffset, color, x: { field: 'lo', type: 'quantitative', title: `Δ (variant − ${baseline}), metric points` }, x2: { field: 'hi' } } },
      { mark: { type: 'point', filled: true, size: 40 }, encoding: { y, yOffset, color, x: { field: 'delta', type: 'quantitative' } } },
    ],
  };
}

/**
 * The primary metric per variant: a point at the mean with its 95% CI and each seed's score as a
 * small hollow mark; the scale covers the variants only. Trivial baselines (copy-input) are named in
 * the subtitle with their score, not drawn: they would set the scale and hide the variants' spread.
 */
export function barSpec(g: GroupReport): Record<string, unknown> | null {
  const m = g.primaryMetric;
  const vs = g.cells.filter((c) => c.kind === 'variant' && c.metrics[m] !== undefined);
  const values = vs.map((c) => {
    const s = c.metrics[m]!;
    return { cell: c.variant, mean: s.mean, lo: s.ci95[0], hi: s.ci95[1] };
  });
  if (values.length === 0) return null;
  const seedValues = vs.flatMap((c) => c.metrics[m]!.perSeed.map((v, i) => ({ cell: c.variant, score: v, seed: `seed ${c.seeds[i]}` })));
  const trivial = g.cells
    .filter((c) => c.kind === 'trivial' && c.metrics[m] !== undefined)
    .map((c) => `${c.variant} (trivial): ${fmt(c.metrics[m]!.mean)} ${fmtCi(c.metrics[m]!.ci95)}`);
  const order = values.map((v) => v.cell);
  const x = { field: 'cell', type: 'nominal', title: null, sort: order, axis: { labelAngle: 0 } };
  const color = { field: 'cell', type: 'nominal', title: 'variant', sort: order, legend: null, scale: variantColors(g, order) };
  return {
    $schema: SCHEMA,
    title: {
      text: `${METRIC_LABELS[m]} (mean, 95% CI; hollow: seeds) — ${g.task}, ${g.regime}`,
      ...(trivial.length ? { subtitle: `not drawn: ${trivial.join('; ')}` } : {}),
    },
    width: Math.max(200, 90 * values.length),
    height: 260,
    layer: [
      { data: { values }, mark: { type: 'rule', strokeWidth: 2 }, encoding: { x, color, y: { field: 'lo', type: 'quantitative', title: METRIC_LABELS[m], scale: { zero: false } }, y2: { field: 'hi' } } },
      { data: { values }, mark: { type: 'point', filled: true, size: 70 }, encoding: { x, color, y: { field: 'mean', type: 'quantitative' } } },
      { data: { values: seedValues }, mark: { type: 'point', filled: false, size: 30, xOffset: 12 }, encoding: { x, color, y: { field: 'score', type: 'quantitative' }, tooltip: { field: 'seed' } } },
    ],
  };
}

export async function renderCharts(groups: readonly GroupReport[]): Promise<Chart[]> {
  const out: Chart[] = [];
  const used = new Set<string>();
  for (const g of groups) {
    let base = `${slug(g.task)}-${slug(g.regime)}`;
    for (let k = 2; used.has(base); k++) base = `${slug(g.task)}-${slug(g.regime)}-${k}`;
    used.add(base);
    // The headline first: Δ vs the baseline per metric.
    const ds = deltaSpec(g);
    if (ds) {
      const n = (ds.data as { values: unknown[] }).values.length;
      out.push({ file: `deltas-${base}.svg`, title: `Δ vs ${g.deltas[0].baseline} per metric (95% CI) — ${g.task}, ${g.regime}`, kind: 'deltas', task: g.task, regime: g.regime, series: n, spec: ds, svg: await renderSvg(ds) });
    }
    const cs = curveSpec(g);
    if (cs) {
      out.push({
        file: `curves-${base}.svg`, title: `${curveQuantity(g) === 'ce' ? 'Training CE on the loss positions' : 'Training objective'} — ${g.task}, ${g.regime}`, kind: 'curves', task: g.task, regime: g.regime,
        series: g.curves.length, spec: cs, svg: await renderSvg(cs),
      });
    }
    const bs = barSpec(g);
    if (bs) {
      out.push({
        file: `scores-${base}.svg`, title: `${METRIC_LABELS[g.primaryMetric]} per variant (95% CI, seeds) — ${g.task}, ${g.regime}`, kind: 'scores', task: g.task, regime: g.regime,
        series: ((bs.layer as Array<{ data: { values: unknown[] } }>)[0]).data.values.length, spec: bs, svg: await renderSvg(bs),
      });
    }
  }
  return out;
}
