/**
 * Scan paths (METHOD.md §2.3): the chronological token hits of one participant on one stimulus.
 * Fixations that hit no box are dropped (and counted) first; then consecutive hits on the same
 * box are one visit — so A, (miss), A is one visit of A, and A, B, A three visits.
 * Serialised as JSONL, one object per (participant, stimulus):
 *   {"participant","stimulus","mode","tokens":[{"id","text","label","line"}…],"visits":[id…]}
 * `tokens` lists every box on the stimulus (fixated or not), so per-label totals can be counted.
 */
import { InputError } from '../util/errors.ts';
import type { Alignment } from './align.ts';
import { mapFixations } from './hit-test.ts';
import { readLines } from './line-reader.ts';
import type { Aoi, Fixation, ScanPath, ScanPathToken, SessionMode } from './types.ts';
import { stripBom } from '../util/json.ts';

/** Collapses consecutive repeats: [3,3,5,3,3] → [3,5,3]. */
export function collapseRepeats(ids: readonly number[]): number[] {
  const out: number[] = [];
  for (const id of ids) if (out.length === 0 || out[out.length - 1] !== id) out.push(id);
  return out;
}

/** Every box as a scan-path token, labelled through the alignment when there is one. */
export function scanPathTokens(aois: readonly Aoi[], alignment: Alignment | null): ScanPathToken[] {
  return aois.map((a) => {
    const al = alignment?.byAoi[a.id];
    return { id: a.id, text: al?.text ?? a.text ?? '', label: al?.label ?? null, line: a.line };
  });
}

export interface ScanPathInput {
  participant: string;
  stimulus: string;
  mode: SessionMode;
  aois: readonly Aoi[];
  alignment: Alignment | null;
  /** The participant's fixations on this stimulus, in chronological order. */
  fixations: readonly Fixation[];
  marginPx?: number;
}

export interface ScanPathResult {
  scanPath: ScanPath;
  fixations: number;
  mapped: number;
  unmapped: number;
}

export function buildScanPath(input: ScanPathInput): ScanPathResult {
  const ordered = [...input.fixations].sort((p, q) => p.startMs - q.startMs);
  const { hits, mapped, unmapped } = mapFixations(ordered, input.aois, input.marginPx ?? 0);
  const visits = collapseRepeats(hits.filter((h): h is Aoi => h !== null).map((h) => h.id));
  return {
    scanPath: {
      participant: input.participant,
      stimulus: input.stimulus,
      mode: input.mode,
      tokens: scanPathTokens(input.aois, input.alignment),
      visits,
    },
    fixations: ordered.length,
    mapped,
    unmapped,
  };
}

export function formatScanPathLine(p: ScanPath): string {
  // Fixed key order, so files diff cleanly.
  return JSON.stringify({
    participant: p.participant,
    stimulus: p.stimulus,
    mode: p.mode,
    tokens: p.tokens.map((t) => ({ id: t.id, text: t.text, label: t.label, line: t.line })),
    visits: p.visits,
  });
}

function isScanPath(v: unknown): v is ScanPath {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.participant === 'string' &&
    typeof o.stimulus === 'string' &&
    (o.mode === 'reading' || o.mode === 'writing') &&
    Array.isArray(o.tokens) &&
    o.tokens.every((t) => {
      const k = t as Record<string, unknown>;
      return typeof t === 'object' && t !== null && Number.isInteger(k.id) && typeof k.text === 'string' && (k.label === null || typeof k.label === 'string') && Number.isInteger(k.line);
    }) &&
    Array.isArray(o.visits) &&
    o.visits.every((id) => Number.isInteger(id))
  );
}

/** Reads scan-path JSONL; a line that is not valid JSON or not a scan path is an InputError(file:line). */
export async function readScanPaths(file: string): Promise<ScanPath[]> {
  const out: ScanPath[] = [];
  for await (const { line, lineNo } of readLines(file)) {
    if (line.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(stripBom(line));
    } catch (err) {
      throw new InputError(`not JSON: ${(err as Error).message}`, { file, line: lineNo });
    }
    if (!isScanPath(v)) throw new InputError('not a scan path {participant, stimulus, mode, tokens[{id,text,label,line}], visits[]}', { file, line: lineNo });
    const ids = new Set(v.tokens.map((t) => t.id));
    const stray = v.visits.find((id) => !ids.has(id));
    if (stray !== undefined) throw new InputError(`visit ${stray} names no token`, { file, line: lineNo });
    out.push(v);
  }
  return out;
}
