import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Model } from '../../src/model/model.ts';
import { makeHfConfig, type ModelShape } from '../../src/model/config.ts';
import type { Dtype, NativeBatch } from '../../src/native/index.ts';
import { Rng } from '../../src/util/rng.ts';

export function tempDir(prefix = 'eyemulator-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * The engine's own fallbacks (cpp/trainer.h), which `new Trainer(model)` ran with before its defaults
 * became TRAINER_DEFAULTS (src/train/defaults.ts): no weight decay, a constant rate with no warm-up and
 * no decay floor, no preference term. Engine tests written against them spread these first (their own
 * options after), so they keep testing what they tested.
 */
export const PLAIN_TRAINER_OPTIONS = { weightDecay: 0, schedule: 'constant', warmupSteps: 0, minLrRatio: 0, gamma: 0 } as const;

export const TINY: ModelShape = { arch: 'llama', vocabSize: 37, hiddenSize: 16, layers: 2, heads: 4, kvHeads: 2, intermediateSize: 24 };

/** A folder with config.json (+ extra fields) and returns its config path. */
export function writeConfig(shape: ModelShape, extra: Record<string, unknown> = {}): { dir: string; configPath: string } {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify({ ...makeHfConfig(shape), ...extra }, null, 2));
  return { dir, configPath };
}

export async function tinyModel(
  shape: ModelShape = TINY,
  opts: { seed?: number; dtype?: Dtype; extra?: Record<string, unknown>; threads?: number } = {},
): Promise<{ model: Model; dir: string; configPath: string }> {
  const { dir, configPath } = writeConfig(shape, opts.extra);
  const model = await Model.fromConfig(configPath, { seed: opts.seed ?? 1, dtype: opts.dtype, threads: opts.threads });
  return { model, dir, configPath };
}

/** A random batch with padding at the end of row 1, some -100 labels and non-trivial weights. */
export function randomBatch(vocab: number, B = 2, T = 9, seed = 5, pad = true): NativeBatch {
  const r = new Rng(seed);
  const inputIds = new Int32Array(B * T);
  const labels = new Int32Array(B * T);
  const weights = new Float32Array(B * T);
  const attentionMask = new Int32Array(B * T).fill(1);
  for (let i = 0; i < B * T; i++) {
    inputIds[i] = r.int(vocab);
    labels[i] = inputIds[i];
    weights[i] = 1 + 2 * r.next();
  }
  labels[1] = -100; // a no-loss position inside row 0
  if (pad && B > 1) {
    for (let t = T - 3; t < T; t++) {
      attentionMask[T + t] = 0;
      labels[T + t] = -100;
    }
  }
  return { inputIds, labels, weights, attentionMask, batchSize: B, seqLen: T };
}
