/**
 * Renderings of a Report: Markdown (report.md), HTML (report.html: the Markdown through marked, with
 * the chart SVGs inlined) and a plain-text table for the terminal. Numbers are printed with two
 * decimals (metrics are on a 0–100 scale); p-values with three, and "< 1/B" when no resample
 * crossed zero.
 */
import { marked } from 'marked';
import type { CellSummary, DeltaSummary, GroupReport, Report } from './compute.ts';
import type { Chart } from './charts.ts';
import { METRIC_LABELS } from './types.ts';

export const DATA_CREDIT =
  'Human-attention priors and task samples come from the EyeMulator artifact (Zhang et al., ' +
  '"EyeMulator: Improving Code Language Models by Mimicking Human Visual Attention", ACL 2026), ' +
  'whose eye-tracking data is from the EyeTrans study (Zhang et al., "EyeTrans: Merging Human and ' +
  'Machine Attention for Neural Code Summarization", FSE 2024); licence CC-BY-4.0. ' +
  'Java–C# translation pairs: CodeXGLUE code-to-code translation (C-UDA / CC0).';

export const NULL_RESULT = 'no significant difference';

export function fmt(x: number, digits = 2): string {
  if (Number.isNaN(x)) return '–';
  const s = x.toFixed(digits);
  return s === `-${(0).toFixed(digits)}` ? (0).toFixed(digits) : s;
}

export function fmtSigned(x: number, digits = 2): string {
  const s = fmt(x, digits);
  return x > 0 && s !== (0).toFixed(digits) ? `+${s}` : s;
}

export function fmtCi(ci: readonly [number, number], digits = 2): string {
  return `[${fmt(ci[0], digits)}, ${fmt(ci[1], digits)}]`;
}

export function fmtP(p: number, B: number): string {
  if (p === 0) return `< ${fmtNum(1 / B)}`;
  if (p < 0.001) return '< 0.001';
  return p.toFixed(3);
}

function fmtNum(x: number): string {
  return String(Number(x.toPrecision(2)));
}

function seedsText(c: CellSummary): string {
  return c.kind === 'trivial' ? '–' : c.seeds.join(', ');
}

function cellLabel(c: CellSummary): string {
  return c.kind === 'trivial' ? `${c.variant} (trivial)` : c.variant;
}

/** The sentence for one comparison, used in the honest-reading section and the terminal. */
export function readingOf(d: DeltaSummary, metricLabel: string, B: number): string {
  const nums = `Δ ${metricLabel} = ${fmtSigned(d.delta)}, 95% CI ${fmtCi(d.ci95)}, p ${d.p === 0 ? fmtP(d.p, B) : `= ${fmtP(d.p, B)}`}, n = ${d.n}`;
  if (d.verdict === NULL_RESULT) return `${nums}: ${NULL_RESULT} (the 95% CI covers 0).`;
  return `${nums}: ${d.variant} scores ${d.verdict === 'higher' ? 'higher' : 'lower'} than ${d.baseline} (the 95% CI excludes 0).`;
}

function mdTable(header: string[], rows: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

function groupTitle(g: GroupReport): string {
  return `${g.task} — ${g.regime}`;
}

function scoresTable(g: GroupReport): string {
  const header = ['cell', 'seeds', 'n', ...g.metrics.map((m) => `${METRIC_LABELS[m]} mean [95% CI]`)];
  const rows = g.cells.map((c) => [
    cellLabel(c),
    seedsText(c),
    String(c.n),
    ...g.metrics.map((m) => {
      const s = c.metrics[m];
      return s ? `${fmt(s.mean)} ${fmtCi(s.ci95)}` : '–';
    }),
  ]);
  return mdTable(header, rows);
}

function perSeedLines(g: GroupReport): string {
  const m = g.primaryMetric;
  const lines = g.cells
    .filter((c) => c.kind === 'variant' && c.metrics[m])
    .map((c) => {
      const s = c.metrics[m]!;
      return `- ${c.variant}: ${s.perSeed.map((v, i) => `seed ${c.seeds[i]} ${fmt(v)}`).join(', ')}` + (s.perSeed.length > 1 ? ` (sd ${fmt(s.seedSd)})` : '');
    });
  return lines.join('\n');
}

function deltaTable(g: GroupReport, B: number, subset: 'all'): string {
  const ds = g.deltas.filter((d) => d.subset === subset);
  if (ds.length === 0) return '';
  const header = ['variant', 'metric', 'variant mean', 'baseline mean', 'Δ', '95% CI of Δ', 'p', 'n', 'reading'];
  const rows = ds.map((d) => [d.variant, METRIC_LABELS[d.metric], fmt(d.meanVariant), fmt(d.meanBaseline), fmtSigned(d.delta), fmtCi(d.ci95), fmtP(d.p, B), String(d.n), d.verdict]);
  return mdTable(header, rows);
}

function lengthTable(g: GroupReport, B: number): string {
  const header = ['cell', 'metric', `short (n = ${g.nShort})`, `long (n = ${g.nLong})`, 'Δ short [95% CI], p', 'Δ long [95% CI], p'];
  const rows = g.lengthSplit.map((r) => {
    const d = (subset: 'short' | 'long') => {
      const x = g.deltas.find((dd) => dd.variant === r.variant && dd.metric === r.metric && dd.subset === subset);
      return x ? `${fmtSigned(x.delta)} ${fmtCi(x.ci95)}, p ${fmtP(x.p, B)}` : '–';
    };
    return [r.kind === 'trivial' ? `${r.variant} (trivial)` : r.variant, METRIC_LABELS[r.metric], fmt(r.short), fmt(r.long), d('short'), d('long')];
  });
  return mdTable(header, rows);
}

function diagnosticsTable(g: GroupReport): string {
  if (g.diagnostics.length === 0) return '';
  const rows = g.diagnostics.map((d) => [d.variant, d.name, `${fmt(d.mean, 4)} ${fmtCi(d.ci95, 4)}`, String(d.n)]);
  return mdTable(['variant', 'diagnostic', 'mean [95% CI]', 'n'], rows);
}

/** Bulleted honest reading of every comparison on each group's primary metric, plus caveats. */
export function honestReading(report: Report): string {
  const out: string[] = [];
  const B = report.bootstrapB;
  for (const g of report.groups) {
    const m = g.primaryMetric;
    const ds = g.deltas.filter((d) => d.subset === 'all' && d.metric === m);
    if (ds.length === 0) {
      out.push(`- **${groupTitle(g)}**: no variant to compare with \`${report.baseline}\`${g.cells.some((c) => c.variant === report.baseline) ? '' : ` (there is no \`${report.baseline}\` run)`}.`);
    }
    for (const d of ds) out.push(`- **${groupTitle(g)}**, \`${d.variant}\` vs \`${d.baseline}\`: ${readingOf(d, METRIC_LABELS[m], B)}`);
    const base = g.cells.find((c) => c.variant === report.baseline && c.kind === 'variant');
    // The quality bar: the trained baseline against each trivial baseline on the primary metric and
    // on BLEU (the paper's two translation metrics), when reported.
    const barMetrics = [m, ...(m !== 'bleu' && g.metrics.includes('bleu') ? ['bleu' as const] : [])];
    for (const t of g.cells.filter((c) => c.kind === 'trivial')) {
      for (const bmName of barMetrics) {
        const tm = t.metrics[bmName];
        const bm = base?.metrics[bmName];
        if (!tm || !bm) continue;
        const beats = bm.ci95[0] > tm.ci95[1];
        out.push(
          `- **${groupTitle(g)}**: the trivial baseline \`${t.variant}\` scores ${METRIC_LABELS[bmName]} ${fmt(tm.mean)} ${fmtCi(tm.ci95)}; ` +
            `\`${report.baseline}\` scores ${fmt(bm.mean)} ${fmtCi(bm.ci95)}` +
            (beats ? '.' : ` — the trained baseline does not clearly beat it (the intervals overlap or it is lower), so differences between variants say little about the task itself.`),
        );
      }
    }
  }
  const all = report.groups.flatMap((g) => g.deltas);
  const sig = all.filter((d) => d.verdict !== NULL_RESULT).length;
  if (all.length > 0) {
    out.push(
      '',
      `Across the report, ${sig} of ${all.length} comparisons (every metric and length half) have a 95% CI that excludes 0. ` +
        `Each is a separate test at the 5% level, so about ${fmt(all.length * 0.05, 1)} such results are expected by chance alone when nothing differs; ` +
        `an isolated "higher" among many comparisons is weak evidence (Bonferroni threshold for ${all.length} tests: p < ${fmtNum(0.05 / all.length)}).`,
    );
  }
  const seedCounts = [...new Set(report.groups.flatMap((g) => g.cells.filter((c) => c.kind === 'variant').map((c) => c.seeds.length)))].sort((a, b) => a - b);
  out.push(
    '',
    `The intervals come from resampling evaluation examples (per-example scores pooled over seeds, paired by example id); ` +
      `they do not include run-to-run training variance, which the per-seed scores show (seeds per cell: ${seedCounts.join(', ') || '–'}). ` +
      `A difference smaller than the seed-to-seed spread should not be read as an effect of the weighting. ` +
      `Scores are on the evaluation split as given; nothing here was selected as the best of several runs.`,
  );
  return out.join('\n');
}

export function reportMarkdown(report: Report, charts: readonly Chart[] = []): string {
  const B = report.bootstrapB;
  const parts: string[] = [`# ${report.title}`, ''];
  parts.push(
    `Baseline: \`${report.baseline}\`. Per-example scores are pooled over seeds (mean-kind metrics: averaged per example; ` +
      `corpus metrics — BLEU on code, chrF++, CodeBLEU, CrystalBLEU — per-example statistics summed), then compared with ` +
      `the baseline by a paired bootstrap over examples (B = ${B}, seed ${report.bootstrapSeed}). ` +
      `Cell CIs: Student-t over examples for per-example metrics, percentile bootstrap for corpus metrics. ` +
      `Input length is counted in ${report.lengthUnit}. Definitions: docs/report.md.`,
    '',
  );
  for (const g of report.groups) {
    parts.push(`## ${groupTitle(g)}`, '');
    parts.push(`${g.ids.length} evaluation examples; headline metric ${METRIC_LABELS[g.primaryMetric]}.`, '');
    parts.push('### Scores (mean [95% CI])', '', scoresTable(g), '');
    const ps = perSeedLines(g);
    if (ps) parts.push(`Per-seed ${METRIC_LABELS[g.primaryMetric]}:`, '', ps, '');
    const dt = deltaTable(g, B, 'all');
    parts.push(`### Difference vs \`${report.baseline}\` (paired bootstrap)`, '', dt || `No comparison: the group has no \`${report.baseline}\` run or no other variant.`, '');
    parts.push(
      `### By input length`,
      '',
      `Median input length ${fmt(g.medianLength, 1)} ${report.lengthUnit}: short = at most the median (${g.nShort} examples), long = above it (${g.nLong}).`,
      '',
      lengthTable(g, B),
      '',
    );
    const diag = diagnosticsTable(g);
    if (diag) parts.push('### Attention diagnostics (seed-averaged per example)', '', diag, '');
    const cs = charts.filter((c) => c.task === g.task && c.regime === g.regime);
    if (cs.length > 0) {
      parts.push('### Charts', '');
      for (const c of cs) parts.push(`![${c.title}](${c.file})`, '');
    }
  }
  parts.push('## Honest reading', '', honestReading(report), '');
  parts.push('## Data and credit', '', DATA_CREDIT, '');
  if (report.provenance && Object.keys(report.provenance).length > 0) {
    parts.push('Provenance:', '', '```json', JSON.stringify(report.provenance, null, 2), '```', '');
  }
  return parts.join('\n');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const CSS = `body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}th,td{border:1px solid #ccc;padding:0.3em 0.6em}td{text-align:right}td:first-child{text-align:left}
th{background:#f4f4f4}figure{margin:1em 0}code{background:#f4f4f4;padding:0 0.2em}pre{background:#f8f8f8;padding:0.8em;overflow:auto}`;

/** report.html: the Markdown rendered by marked, chart images replaced by their inline SVG. */
export function reportHtml(report: Report, charts: readonly Chart[] = []): string {
  let body = marked.parse(reportMarkdown(report, charts), { async: false }) as string;
  for (const c of charts) {
    const re = new RegExp(`<img src="${c.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" alt="[^"]*"\\s*/?>`, 'g');
    body = body.replace(re, () => `<figure>${c.svg}<figcaption>${escapeHtml(c.title)}</figcaption></figure>`);
  }
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(report.title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n${body}</body>\n</html>\n`;
}

function textTable(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(header), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)].join('\n');
}

/** Plain-text tables for the terminal: every metric's mean, then the headline metric's CIs and deltas. */
export function reportText(report: Report): string {
  const out: string[] = [];
  const B = report.bootstrapB;
  for (const g of report.groups) {
    out.push(`== ${groupTitle(g)} (n = ${g.ids.length}) ==`);
    out.push(textTable(
      ['cell', 'seeds', ...g.metrics.map((m) => METRIC_LABELS[m])],
      g.cells.map((c) => [cellLabel(c), seedsText(c), ...g.metrics.map((m) => (c.metrics[m] ? fmt(c.metrics[m]!.mean) : '–'))]),
    ));
    const m = g.primaryMetric;
    out.push('', `${METRIC_LABELS[m]}: mean [95% CI], Δ vs ${report.baseline} [95% CI], p`);
    out.push(textTable(
      ['cell', 'mean', '95% CI', 'Δ', '95% CI of Δ', 'p', 'reading'],
      g.cells.map((c) => {
        const s = c.metrics[m];
        const d = g.deltas.find((x) => x.variant === c.variant && x.metric === m && x.subset === 'all');
        return [cellLabel(c), s ? fmt(s.mean) : '–', s ? fmtCi(s.ci95) : '–', d ? fmtSigned(d.delta) : '', d ? fmtCi(d.ci95) : '', d ? fmtP(d.p, B) : '', d ? d.verdict : ''];
      }),
    ));
    out.push('', `Per seed (${METRIC_LABELS[m]}):`, perSeedLines(g));
    const split = g.lengthSplit.filter((r) => r.metric === m);
    if (split.length > 0) {
      out.push('', `${METRIC_LABELS[m]} by input length (median ${fmtNum(g.medianLength)} tokens):`);
      out.push(textTable(
        ['cell', `short (n = ${g.nShort})`, `long (n = ${g.nLong})`, 'Δ short [95% CI]', 'Δ long [95% CI]'],
        split.map((r) => {
          const d = (subset: 'short' | 'long') => {
            const x = g.deltas.find((dd) => dd.variant === r.variant && dd.metric === r.metric && dd.subset === subset);
            return x ? `${fmtSigned(x.delta)} ${fmtCi(x.ci95)}` : '';
          };
          return [r.kind === 'trivial' ? `${r.variant} (trivial)` : r.variant, fmt(r.short), fmt(r.long), d('short'), d('long')];
        }),
      ));
    }
    if (g.diagnostics.length > 0) {
      out.push('', 'Attention diagnostics (mean [95% CI], n):');
      out.push(textTable(['variant', 'diagnostic', 'mean [95% CI]', 'n'], g.diagnostics.map((d) => [d.variant, d.name, `${fmt(d.mean, 4)} ${fmtCi(d.ci95, 4)}`, String(d.n)])));
    }
    out.push('');
  }
  out.push('Reading:', honestReading(report).replace(/\*\*/g, '').replace(/`/g, ''));
  return out.join('\n');
}
