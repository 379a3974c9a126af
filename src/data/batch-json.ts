/**
 * BATCH.json for `eyemulator model forward`: {"input_ids": [[…]…], "labels": […], "weights": […],
 * "attention_mask"?: […], "path_mask"?: […]}, all arrays of rows aligned with input_ids (HF layout).
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../util/errors.ts';
import type { NativeBatch } from '../native/index.ts';
import { stripBom } from '../util/json.ts';

function rowsOf(j: Record<string, unknown>, field: string, file: string, B?: number, T?: number): number[][] | undefined {
  const v = j[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length === 0) throw new InputError(`field "${field}" must be a non-empty array of rows`, { file });
  if (B !== undefined && v.length !== B) throw new InputError(`field "${field}" has ${v.length} rows, input_ids has ${B}`, { file });
  v.forEach((row, r) => {
    if (!Array.isArray(row)) throw new InputError(`field "${field}" row ${r} is not an array`, { file });
    const want = T ?? (v[0] as unknown[]).length;
    if (row.length !== want) throw new InputError(`field "${field}" row ${r} has ${row.length} entries, expected ${want} (rows must have equal length; pad them)`, { file });
    row.forEach((x, c) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new InputError(`field "${field}" row ${r} column ${c} is not a finite number`, { file });
    });
  });
  return v as number[][];
}

export function parseBatchJson(text: string, file: string): NativeBatch {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(stripBom(text));
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message})`, { file });
  }
  const ids = rowsOf(j, 'input_ids', file);
  if (!ids) throw new InputError('field "input_ids" is required', { file });
  const B = ids.length, T = ids[0].length;
  const labels = rowsOf(j, 'labels', file, B, T) ?? ids;
  const weights = rowsOf(j, 'weights', file, B, T);
  const mask = rowsOf(j, 'attention_mask', file, B, T);
  const path = rowsOf(j, 'path_mask', file, B, T);
  const flat = <A extends Int32Array | Float32Array | Uint8Array>(rows: number[][], C: new (n: number) => A): A => {
    const a = new C(B * T);
    rows.forEach((r, i) => a.set(r, i * T));
    return a;
  };
  return {
    inputIds: flat(ids, Int32Array),
    labels: flat(labels, Int32Array),
    weights: weights ? flat(weights, Float32Array) : undefined,
    attentionMask: mask ? flat(mask, Int32Array) : undefined,
    pathMask: path ? flat(path, Uint8Array) : undefined,
    batchSize: B,
    seqLen: T,
  };
}

export function readBatchJson(file: string): NativeBatch {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read (${(e as NodeJS.ErrnoException).code ?? e})`, { file });
  }
  return parseBatchJson(text, file);
}
