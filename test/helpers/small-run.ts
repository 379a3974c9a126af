// The small training run that the accumulation and data-parallel tests compare against each
// other: one definition, so "the same run" means the same config in both.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { byteTokenizerConfig, byteTokenizerJson } from '../../src/tokenizer/byte.ts';
import { tempDir } from './tiny-model.ts';

/** A byte-level tokenizer folder; returns its tokenizer.json path. */
export function byteTokenizer(): string {
  const dir = tempDir('eyemulator-tok-');
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(byteTokenizerJson()));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(byteTokenizerConfig()));
  return join(dir, 'tokenizer.json');
}

/** 24 examples, 3 global batches of 8 per epoch: 5 steps cross an epoch boundary. Gaze weights + preference term. */
export function smallRunConfig(tokenizer: string, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    task: 'translation', init: { hidden: 16, layers: 1, heads: 2, maxPositions: 512 }, tokenizer, variant: 'full', gamma: 0.1,
    maxLength: 400, trainN: 24, maxSteps: 5, lr: 1e-2, seed: 7, threads: 1, ...extra,
  };
}

/** The float32 tensors of a safetensors file, by name (another dtype is an error). */
export function readF32(path: string): Map<string, Float32Array> {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const out = new Map<string, Float32Array>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (e.dtype !== 'F32') throw new Error(`${name}: ${e.dtype}`);
    const bytes = buf.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]);
    out.set(name, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
  }
  return out;
}
