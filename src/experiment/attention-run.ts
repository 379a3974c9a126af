/**
 * Attention diagnostics (attention.ts) for a finished training run: the run's model (base +
 * adapter, or the fine-tuned folder) on the first validation examples, with the priors the run
 * was configured with (the shipped EyeTrans priors by default) as the human reference.
 */
import { resolve } from 'node:path';
import { Model } from '../model/model.ts';
import type { ModelTokenizer } from '../model/tokenizer.ts';
import type { RunConfig } from '../train/config.ts';
import type { TrainRunSummary } from '../train/run-dir.ts';
import type { TaskExample } from '../data/tasks.ts';
import { defaultPriorsPath, loadPriors } from '../priors/index.ts';
import { attentionDiagnostics, type AttentionDiagnosticsResult } from './attention.ts';

export async function runAttentionForRun(
  c: RunConfig,
  trained: TrainRunSummary,
  tok: ModelTokenizer,
  examples: readonly TaskExample[],
  o: { threads?: number; log?: (l: string) => void; model?: Model } = {},
): Promise<AttentionDiagnosticsResult> {
  // A caller that already holds the run's model (evaluateRun) passes it and keeps ownership.
  const model = o.model ?? (await Model.load(trained.modelDir, { dtype: c.dtype, threads: o.threads, device: c.device }));
  try {
    if (!o.model && trained.adapterDir) await model.loadAdapter(trained.adapterDir);
    const r = await attentionDiagnostics(model, tok, examples, {
      n: examples.length, maxNewTokens: Math.min(c.maxNewTokens, 128), priors: loadPriors(resolve(c.priors ?? defaultPriorsPath())), threads: o.threads,
    });
    o.log?.(`attention diagnostics on ${r.ids.length} examples: ` + Object.entries(r.summary).map(([k, s]) => `${k} ${s.mean === null ? '–' : s.mean.toFixed(3)}`).join(', '));
    return r;
  } finally {
    if (!o.model) await model.dispose();
  }
}
