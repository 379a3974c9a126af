/**
 * BATCH.json for `eyemulator model forward`: {"input_ids": [[…]…], "labels": […], "weights": […],
 * "attention_mask"?: […], "path_mask"?: […]}, all arrays of rows aligned with input_ids (HF layout).
 */
import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../util/errors.ts';
import type { NativeBatch } from '../native/index.ts';
import { stripBom } from '../util/json.ts';

/** What the model allows, to check a batch before anything is allocated for it (unknown: unchecked). */
export interface BatchLimits {
  /** config.json vocab_size: ids and labels must lie in [0, vocabSize). */
  vocabSize?: number;
  /** config.json max_position_embeddings (n_positions): rows longer than this are refused. */
  maxPositions?: number;
}

/** The label that takes no loss (HF's ignore_index). */
export const IGNORE_INDEX = -100;

type Check = (x: number) => string | null;

/** Values an Int32Array holds exactly: a wider or fractional number would wrap or truncate in it. */
const INT32_MAX = 2 ** 31 - 1;

/** Largest BATCH.json read (256 MiB). */
export const MAX_BATCH_JSON_BYTES = 256 * 2 ** 20;

function rowsOf(j: Record<string, unknown>, field: string, file: string, check: Check, B?: number, T?: number): number[][] | undefined {
  const v = j[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length === 0) throw new InputError(`field "${field}" must be a non-empty array of rows`, { file });
  if (B !== undefined && v.length !== B) throw new InputError(`field "${field}" has ${v.length} rows, input_ids has ${B}`, { file });
  const want = T ?? (Array.isArray(v[0]) ? (v[0] as unknown[]).length : 0);
  v.forEach((row, r) => {
    if (!Array.isArray(row)) throw new InputError(`field "${field}" row ${r} is not an array`, { file });
    if (row.length !== want) throw new InputError(`field "${field}" row ${r} has ${row.length} entries, expected ${want} (rows must have equal length; pad them)`, { file });
    row.forEach((x, c) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new InputError(`field "${field}" row ${r} column ${c} is not a finite number`, { file });
      const why = check(x);
      if (why) throw new InputError(`field "${field}" row ${r} column ${c} = ${x} ${why}`, { file });
    });
  });
  return v as number[][];
}

/**
 * Parses BATCH.json text. Every value is checked before a typed array is filled (an Int32Array
 * would wrap 2^32+5 to 5 and truncate 1.5 to 1, a Uint8Array wrap 256 to 0):
 *   input_ids        integers in [0, vocab_size)
 *   labels           integers in [0, vocab_size), or −100 (no loss); default: input_ids
 *   weights          finite and ≥ 0
 *   attention_mask   0 or 1        path_mask   0 or 1
 * and rows must be at most max_position_embeddings long (`limits`; unchecked where not given).
 * Throws InputError naming the file, field, row and column.
 */
export function parseBatchJson(text: string, file: string, limits: BatchLimits = {}): NativeBatch {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(stripBom(text));
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message})`, { file });
  }
  if (!j || typeof j !== 'object' || Array.isArray(j))
    throw new InputError('expected a JSON object {"input_ids": [[…]…], "labels"?, "weights"?, "attention_mask"?, "path_mask"?}', { file });
  const V = limits.vocabSize;
  const vocab = V === undefined ? `[0, ${INT32_MAX}]` : `[0, ${V}) (vocab_size)`;
  const inVocab = (x: number) => Number.isInteger(x) && x >= 0 && x <= INT32_MAX && (V === undefined || x < V);
  const idCheck: Check = (x) => (inVocab(x) ? null : `is not a token id: ids are integers in ${vocab}`);
  const labelCheck: Check = (x) => (x === IGNORE_INDEX || inVocab(x) ? null : `is not a label: labels are token ids in ${vocab} or ${IGNORE_INDEX} (no loss)`);
  const binary: Check = (x) => (x === 0 || x === 1 ? null : 'must be 0 or 1');
  const weight: Check = (x) => (x >= 0 ? null : 'is negative: weights are ≥ 0');
  const ids = rowsOf(j, 'input_ids', file, idCheck);
  if (!ids) throw new InputError('field "input_ids" is required', { file });
  const B = ids.length, T = ids[0].length;
  if (T === 0) throw new InputError('field "input_ids" rows are empty', { file });
  if (limits.maxPositions !== undefined && T > limits.maxPositions)
    throw new InputError(`rows hold ${T} tokens but the model takes at most ${limits.maxPositions} (max_position_embeddings): cut the rows`, { file });
  const labels = rowsOf(j, 'labels', file, labelCheck, B, T) ?? ids;
  const weights = rowsOf(j, 'weights', file, weight, B, T);
  const mask = rowsOf(j, 'attention_mask', file, binary, B, T);
  const path = rowsOf(j, 'path_mask', file, binary, B, T);
  const flat = <A extends Int32Array | Float32Array | Uint8Array>(rows: number[][], C: new (n: number) => A): A => {
    const a = new C(B * T);
    rows.forEach((r, i) => a.set(r, i * T));
    return a;
  };
  const w = weights ? flat(weights, Float32Array) : undefined;
  // A finite double can still overflow float32 (1e39 → Infinity).
  if (w && !w.every(Number.isFinite)) throw new InputError('field "weights" holds a value beyond float32 range', { file });
  return {
    inputIds: flat(ids, Int32Array),
    labels: flat(labels, Int32Array),
    weights: w,
    attentionMask: mask ? flat(mask, Int32Array) : undefined,
    pathMask: path ? flat(path, Uint8Array) : undefined,
    batchSize: B,
    seqLen: T,
  };
}

/** Reads and checks BATCH.json (see parseBatchJson); InputError naming the file on any defect. */
export function readBatchJson(file: string, limits: BatchLimits = {}): NativeBatch {
  let text: string;
  try {
    // A BATCH.json is rows of numbers; above this it is not one (and would need gigabytes parsed).
    const st = statSync(file);
    const size = st.size;
    if (!st.isFile()) throw new InputError('not a regular file (BATCH.json expected)', { file });
    if (size > MAX_BATCH_JSON_BYTES)
      throw new InputError(`${size} bytes, more than the ${MAX_BATCH_JSON_BYTES / 2 ** 20} MiB a BATCH.json may hold (model forward audits small batches)`, { file });
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read (${(e as NodeJS.ErrnoException).code ?? e})`, { file });
  }
  return parseBatchJson(text, file, limits);
}
