/**
 * Right-padded batches without a cache (every training step) run SDPA with is_causal and no mask
 * (LayerInputs::causal). Checked against the explicit masked attention of the same model (the path
 * attention capture forces), in float64, on fixtures of every attention variant: plain causal,
 * sliding window shorter than the sequence (must keep the mask), partial rotary (Phi-3) and
 * GPTBigCode (mask path): logits at real tokens, the loss and the gradients agree to float64 rounding.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Model } from '../../src/model/model.ts';
import type { NativeBatch } from '../../src/native/index.ts';

const FIX = fileURLToPath(new URL('../fixtures/hf/models/', import.meta.url));

function rightPadded(vocab: number, B: number, T: number, lengths: number[]): NativeBatch {
  const inputIds = new Int32Array(B * T);
  const labels = new Int32Array(B * T).fill(-100);
  const attentionMask = new Int32Array(B * T);
  let x = 7;
  for (let b = 0; b < B; b++)
    for (let t = 0; t < lengths[b]; t++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      inputIds[b * T + t] = x % vocab;
      labels[b * T + t] = inputIds[b * T + t];
      attentionMask[b * T + t] = 1;
    }
  const weights = new Float32Array(B * T).map((_, i) => 1 + (i % 5) / 2);
  return { inputIds, labels, attentionMask, weights, batchSize: B, seqLen: T };
}

for (const name of ['llama-v5-llama3', 'qwen3-yarn-window', 'mistral', 'phi3-short', 'starcoder2', 'gpt_bigcode']) {
  test(`${name}: causal SDPA (right padding) equals the explicit masked attention`, async (t) => {
    if (!existsSync(join(FIX, name, 'config.json'))) return t.fail(`fixture ${name} missing`);
    const m = await Model.load(join(FIX, name), { dtype: 'float64' });
    const info = m.info();
    const T = 24;
    const b = rightPadded(info.vocabSize, 3, T, [T, 17, 5]);
    const all = Array.from({ length: info.layers }, (_, i) => i);
    const sdpa = await m.forward(b, { grads: true });
    const explicit = await m.forward(b, { grads: true, attentionLayers: all });
    const V = info.vocabSize;
    let d = 0, s = 0;
    for (let p = 0; p < b.inputIds.length; p++) {
      if (!b.attentionMask![p]) continue;
      for (let v = 0; v < V; v++) {
        d = Math.max(d, Math.abs(sdpa.logits.data[p * V + v] - explicit.logits.data[p * V + v]));
        s = Math.max(s, Math.abs(explicit.logits.data[p * V + v]));
      }
    }
    t.true(d / s < 1e-12, `logits max rel Δ ${d / s}`);
    t.true(Math.abs(sdpa.loss - explicit.loss) <= 1e-12 * Math.abs(explicit.loss), `loss ${sdpa.loss} vs ${explicit.loss}`);
    for (const k of Object.keys(explicit.grads!)) {
      const g1 = sdpa.grads![k].data, g2 = explicit.grads![k].data;
      let gd = 0, gs = 0;
      for (let i = 0; i < g2.length; i++) { gd = Math.max(gd, Math.abs(g1[i] - g2[i])); gs = Math.max(gs, Math.abs(g2[i])); }
      t.true(gd <= 1e-10 * Math.max(gs, 1e-30) + 1e-300, `${k}: grad max Δ ${gd} (scale ${gs})`);
    }
    m.dispose();
  });
}
