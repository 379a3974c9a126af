/**
 * `eyemulator model forward --model DIR --batch BATCH.json --out OUT.safetensors [--grads] [--attention]
 * [--device cpu|cuda[:N]]`:
 * one audited forward (and backward) pass. OUT holds logits [B,T,V], token_ce [B,T−1], loss [],
 * grad.<hf name> with --grads, attn.<layer> [B,H,T,T] with --attention.
 * --reference needs LoRA adapters (--adapter): π_ref is the base with adapters off; without them
 * it is an OptionError (it would silently print L_pref = ln 2).
 */
import type { CommandModule } from 'yargs';
import { Model } from '../../../model/model.ts';
import { join } from 'node:path';
import { readBatchJson, type BatchLimits } from '../../../data/batch-json.ts';
import { readJsonFileIfExists } from '../../../util/json.ts';
import { native, type Dtype, type TensorData } from '../../../native/index.ts';
import { OptionError } from '../../../util/errors.ts';

/** vocab_size and max_position_embeddings (n_positions) of a model folder's config.json, where readable. */
function batchLimits(modelDir: string): BatchLimits {
  let cfg: Record<string, unknown> | null = null;
  try {
    cfg = readJsonFileIfExists<Record<string, unknown>>(join(modelDir, 'config.json'));
  } catch {
    return {}; // Model.load reports an unreadable config.json with its own typed error
  }
  if (!cfg || typeof cfg !== 'object') return {};
  const int = (v: unknown) => (Number.isSafeInteger(v) && (v as number) > 0 ? (v as number) : undefined);
  return { vocabSize: int(cfg.vocab_size), maxPositions: int(cfg.max_position_embeddings ?? cfg.n_positions) };
}

const forward: CommandModule = {
  command: 'forward',
  describe: 'run one forward pass on a batch and write logits, per-token CE, loss (and gradients, attention) as safetensors',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'HF model folder' })
      .option('batch', { type: 'string', demandOption: true, describe: 'BATCH.json: input_ids, labels, weights[, attention_mask, path_mask] as rows' })
      .option('out', { type: 'string', demandOption: true, describe: 'output .safetensors' })
      .option('grads', { type: 'boolean', default: false, describe: 'also write grad.<name> for every parameter' })
      .option('attention', { type: 'boolean', default: false, describe: 'also write attn.<layer> probabilities for every layer' })
      .option('attention-layers', { type: 'string', describe: 'comma-separated layers (implies --attention)' })
      .option('adapter', { type: 'string', describe: 'PEFT LoRA adapter folder to apply' })
      .option('reference', { type: 'boolean', default: false, describe: 'also compute L_pref against the adapters-off model (needs --adapter and path_mask); prints sft and pref' })
      .option('beta', { type: 'number', default: 0.1, describe: 'preference temperature β' })
      .option('gamma', { type: 'number', default: 0, describe: 'with --grads --reference: gradients of L_SFT + γ·L_pref' })
      .option('normalize-by-weights', { type: 'boolean', default: false, describe: 'L = Σ w·CE / Σ w instead of / N' })
      .option('dtype', { choices: ['auto', 'float32', 'float64', 'bfloat16'], default: 'auto', describe: "weights in memory: auto = the checkpoint's dtype; float64 for audits" })
      .option('threads', { type: 'number', describe: 'libtorch threads (default: all cores)' })
      .option('device', { type: 'string', default: 'cpu', describe: 'cpu, cuda or cuda:N (CUDA needs the addon built against a CUDA libtorch)' })
      .example('$0 model forward --model models/tiny --batch batch.json --out out.safetensors --grads', 'logits, per-token CE, loss and every gradient, for an audit against PyTorch'),
  handler: async (a) => {
    // β and γ multiply the loss: NaN or ±Infinity would give NaN gradients without an error.
    for (const k of ['beta', 'gamma'] as const)
      if (!Number.isFinite(a[k])) throw new OptionError(`--${k} must be a finite number, got ${a[k]}`);
    // The batch is checked against the model's config.json before the model is loaded: ids in the
    // vocabulary, rows no longer than the positions (a 20,000-token row would allocate gigabytes).
    const batch = readBatchJson(a.batch as string, batchLimits(a.model as string));
    const model = await Model.load(a.model as string, {
      dtype: a.dtype as Dtype | 'auto', threads: a.threads as number | undefined, device: a.device as string,
    });
    try {
      if (a.adapter) await model.loadAdapter(a.adapter as string);
      // π_ref is the starting model with the adapters off (METHOD.md §5). Without adapters it would
      // be the model itself: r_j = 0 everywhere and L_pref = ln 2 whatever the batch — refuse.
      if (a.reference && model.lora === null) {
        throw new OptionError(
          `--reference: ${a.model as string} has no LoRA adapters, so π_ref (the base model with adapters off) would be the model itself ` +
            '(every r_j = 0, L_pref = ln 2 for any batch); give --adapter DIR (a PEFT LoRA folder), or use a model with LoRA adapters attached',
        );
      }
      let layers: number[] = [];
      if (a['attention-layers']) {
        layers = String(a['attention-layers']).split(',').map((s) => {
          const n = Number(s);
          if (!Number.isInteger(n)) throw new OptionError(`--attention-layers: "${s}" is not a layer number`);
          return n;
        });
      } else if (a.attention) {
        layers = Array.from({ length: model.info().layers }, (_, i) => i);
      }
      const r = await model.forward(batch, {
        grads: a.grads as boolean,
        attentionLayers: layers,
        normalizeByWeights: a['normalize-by-weights'] as boolean,
        reference: a.reference as boolean,
        beta: a.beta as number,
        gamma: a.gamma as number,
        threads: a.threads as number | undefined,
      });
      const out: Record<string, TensorData> = {
        logits: r.logits,
        token_ce: r.tokenCe,
        loss: { data: new Float32Array([r.loss]), shape: [] },
      };
      if (a.reference) {
        out.pref = { data: new Float32Array([r.pref!]), shape: [] };
        out.total = { data: new Float32Array([r.total]), shape: [] };
        console.log(`sft ${r.loss.toFixed(6)}  pref ${r.pref!.toFixed(6)} (${r.prefSequences} sequences with path and non-path tokens)`);
      }
      for (const [k, v] of Object.entries(r.grads ?? {})) out[`grad.${k}`] = v;
      for (const [k, v] of Object.entries(r.attention ?? {})) out[`attn.${k}`] = v;
      native().writeSafetensors(a.out as string, out, { format: 'pt', producer: 'eyemulator model forward' });
      console.error(`loss ${r.loss.toFixed(6)} over ${r.tokens} tokens; wrote ${Object.keys(out).length} tensors to ${a.out}`);
    } finally {
      model.dispose();
    }
  },
};
export default forward;
