/**
 * One-paragraph, human-readable summaries the CLI and the EMIP script print, so that every count
 * a stage produces (drops included) is shown the same way everywhere.
 */
import type { AlignmentStats } from './align.ts';
import type { GazeRecording } from './types.ts';

const pct = (a: number, b: number) => (b === 0 ? '0.0%' : `${((100 * a) / b).toFixed(1)}%`);

export function formatAlignmentStats(s: AlignmentStats): string {
  const lines = [
    `alignment: ${s.aligned}/${s.aois} boxes aligned to code (${s.unaligned} unaligned, ${s.partial} partly), ${s.labelled} labelled; ` +
      `${s.merged} boxes merge several code tokens, ${s.split} code tokens split over boxes; ` +
      `${s.uncoveredCodeTokens}/${s.codeTokens} code tokens have no box`,
  ];
  if (s.synthesised > 0 || s.unsynthesisedLines.length > 0) {
    lines.push(`box text synthesised from the code for ${s.synthesised} boxes` + (s.unsynthesisedLines.length ? `; lines without text (box count ≠ code units): ${s.unsynthesisedLines.join(', ')}` : ''));
  }
  for (const e of s.examples) lines.push(`  ${e}`);
  return lines.join('\n');
}

export function formatReadCounts(r: GazeRecording): string {
  const c = r.counts;
  const parts = [
    `${r.file}: ${c.samples} samples on ${r.stimuli.length} stimuli, ${c.invalid} invalid (${pct(c.invalid, c.samples)})`,
    `${c.messages} messages`,
  ];
  if (c.outsideStimulus) parts.push(`${c.outsideStimulus} samples before the first stimulus (not used)`);
  if (c.otherStimulus) parts.push(`${c.otherStimulus} samples of other stimuli (not used)`);
  if (c.malformed) parts.push(`${c.malformed} malformed rows skipped`);
  const out = [parts.join(', ')];
  for (const i of r.issues) out.push(`  skipped ${i.file}:${i.line}: ${i.message}`);
  return out.join('\n');
}

export { pct as percent };
