/**
 * Report charts as Vega-Lite specs rendered to SVG without a browser
 * (`new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' }).toSVG()`).
 * - training curves: one chart per (task, regime), one line per variant × seed (colour = variant);
 * - scores: one bar chart per (task, regime) for its primary metric, one bar per cell (variants,
 *   then trivial baselines) with the cell's 95% CI as an error bar.
 * Rendering is deterministic (no timestamps, fixed sizes), so the same report gives the same SVG.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { GroupReport } from './compute.ts';
import { METRIC_LABELS } from './format.ts';

export interface Chart {
  /** File name (relative to the report folder). */
  file: string;
  title: string;
  kind: 'curves' | 'bars';
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

export function curveSpec(g: GroupReport): Record<string, unknown> | null {
  const values = g.curves.flatMap((c) => c.points.map((p) => ({ step: p.step, loss: p.loss, variant: c.variant, seed: String(c.seed) })));
  if (values.length === 0) return null;
  const variants = [...new Set(g.curves.map((c) => c.variant))];
  return {
    $schema: SCHEMA,
    title: `Training loss — ${g.task}, ${g.regime}`,
    width: 520,
    height: 280,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5, opacity: 0.85 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'optimizer step' },
      y: { field: 'loss', type: 'quantitative', title: 'training loss', scale: { zero: false } },
      color: { field: 'variant', type: 'nominal', title: 'variant', sort: variants },
      detail: { field: 'seed', type: 'nominal' },
    },
  };
}

export function barSpec(g: GroupReport): Record<string, unknown> | null {
  const m = g.primaryMetric;
  const values = g.cells
    .filter((c) => c.metrics[m] !== undefined)
    .map((c) => {
      const s = c.metrics[m]!;
      return { cell: c.variant, kind: c.kind === 'trivial' ? 'trivial baseline' : 'variant', mean: s.mean, lo: s.ci95[0], hi: s.ci95[1] };
    });
  if (values.length === 0) return null;
  const order = values.map((v) => v.cell);
  const x = { field: 'cell', type: 'nominal', title: null, sort: order, axis: { labelAngle: -30 } };
  return {
    $schema: SCHEMA,
    title: `${METRIC_LABELS[m]} (mean, 95% CI) — ${g.task}, ${g.regime}`,
    width: Math.max(160, 48 * values.length),
    height: 260,
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x,
          y: { field: 'mean', type: 'quantitative', title: METRIC_LABELS[m] },
          color: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['variant', 'trivial baseline'], range: ['#4c78a8', '#bab0ac'] } },
        },
      },
      {
        mark: { type: 'rule', color: 'black' },
        encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
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
    const cs = curveSpec(g);
    if (cs) {
      out.push({
        file: `curves-${base}.svg`, title: `Training loss — ${g.task}, ${g.regime}`, kind: 'curves', task: g.task, regime: g.regime,
        series: g.curves.length, spec: cs, svg: await renderSvg(cs),
      });
    }
    const bs = barSpec(g);
    if (bs) {
      out.push({
        file: `scores-${base}.svg`, title: `${METRIC_LABELS[g.primaryMetric]} — ${g.task}, ${g.regime}`, kind: 'bars', task: g.task, regime: g.regime,
        series: (bs.data as { values: unknown[] }).values.length, spec: bs, svg: await renderSvg(bs),
      });
    }
  }
  return out;
}
