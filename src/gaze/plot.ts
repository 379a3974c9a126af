/**
 * Scan-path plot as a standalone SVG: the stimulus image (embedded as a base64 data URI, so the
 * file travels alone), token boxes (visited ones tinted by semantic label), saccades as lines
 * between consecutive fixations, and fixations as numbered circles whose area grows with duration.
 * Hand-written SVG rather than a Vega spec: the picture is a fixed overlay on a bitmap, and plain
 * SVG keeps it byte-stable and free of a renderer.
 */
import { LABELS } from '../code/labels.ts';
import { imageInfo } from './image-size.ts';
import type { Aoi, Fixation, ScanPath } from './types.ts';

export interface PlotInput {
  image: Uint8Array;
  fixations: readonly Fixation[];
  aois: readonly Aoi[];
  scanPath: ScanPath | null;
  title?: string;
}

// 20 distinguishable colours, one per label id (Tableau-20 order).
const PALETTE = [
  '#1f77b4', '#aec7e8', '#ff7f0e', '#ffbb78', '#2ca02c', '#98df8a', '#d62728', '#ff9896', '#9467bd', '#c5b0d5',
  '#8c564b', '#c49c94', '#e377c2', '#f7b6d2', '#7f7f7f', '#c7c7c7', '#bcbd22', '#dbdb8d', '#17becf', '#9edae5',
];

export function labelColour(label: string | null): string {
  const i = label === null ? -1 : (LABELS as readonly string[]).indexOf(label);
  return i < 0 ? '#888888' : PALETTE[i % PALETTE.length];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r1 = (v: number) => Math.round(v * 10) / 10;

/** Circle radius for a fixation: area ∝ duration (r = 3·√(duration/10 ms)), at least 4 px. */
export function fixationRadius(durationMs: number): number {
  return Math.max(4, 3 * Math.sqrt(Math.max(0, durationMs) / 10));
}

export function renderScanPathSvg(input: PlotInput): string {
  const info = imageInfo(input.image);
  const width = info?.width ?? 1920;
  const height = info?.height ?? 1080;
  const mime = info?.mime ?? 'image/jpeg';
  const href = `data:${mime};base64,${Buffer.from(input.image).toString('base64')}`;
  const labelOf = new Map<number, string | null>();
  const visited = new Set<number>(input.scanPath?.visits ?? []);
  for (const t of input.scanPath?.tokens ?? []) labelOf.set(t.id, t.label);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`);
  if (input.title) out.push(`<title>${esc(input.title)}</title>`);
  out.push(`<image x="0" y="0" width="${width}" height="${height}" href="${href}" xlink:href="${href}"/>`);

  out.push('<g id="aois" fill-opacity="0.25" stroke-width="1">');
  for (const a of input.aois) {
    const lab = labelOf.get(a.id) ?? null;
    const fill = visited.has(a.id) ? labelColour(lab) : 'none';
    out.push(`<rect x="${a.x}" y="${a.y}" width="${a.width}" height="${a.height}" fill="${fill}" stroke="${visited.has(a.id) ? labelColour(lab) : '#999999'}" stroke-opacity="0.7"><title>${esc(`${a.id} ${a.text ?? a.name}${lab ? ` [${lab}]` : ''}`)}</title></rect>`);
  }
  out.push('</g>');

  const fx = input.fixations;
  if (fx.length > 1) {
    const pts = fx.map((f) => `${r1(f.x)},${r1(f.y)}`).join(' ');
    out.push(`<polyline id="saccades" points="${pts}" fill="none" stroke="#0050c8" stroke-width="1.5" stroke-opacity="0.6"/>`);
  }
  out.push('<g id="fixations">');
  fx.forEach((f, i) => {
    const r = fixationRadius(f.durationMs);
    out.push(
      `<g><circle cx="${r1(f.x)}" cy="${r1(f.y)}" r="${r1(r)}" fill="#ff6a00" fill-opacity="0.45" stroke="#b34a00" stroke-width="1"><title>${esc(`#${i + 1} ${r1(f.startMs)}–${r1(f.endMs)} ms (${r1(f.durationMs)} ms)`)}</title></circle>` +
        `<text x="${r1(f.x)}" y="${r1(f.y)}" font-size="11" text-anchor="middle" dominant-baseline="central" fill="#000000">${i + 1}</text></g>`,
    );
  });
  out.push('</g>');

  const used = [...new Set([...visited].map((id) => labelOf.get(id) ?? null))].filter((l): l is string => l !== null).sort();
  const legendH = 22 + 18 * used.length;
  out.push(`<g id="legend"><rect x="10" y="10" width="330" height="${legendH}" fill="#ffffff" fill-opacity="0.85" stroke="#666666"/>`);
  out.push(`<text x="18" y="26" font-size="13">${esc(input.title ?? 'scan path')} — ${fx.length} fixations, ${visited.size} tokens visited</text>`);
  used.forEach((l, i) => {
    const y = 32 + 18 * i;
    out.push(`<rect x="18" y="${y}" width="12" height="12" fill="${labelColour(l)}"/><text x="36" y="${y + 10}" font-size="12">${esc(l)}</text>`);
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}
