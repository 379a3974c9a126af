/**
 * Text in, text out: encodes prompts with the model's tokenizer, decodes in batches through the
 * native engine (greedy or beam, KV cache), cuts at stop strings, and reports progress.
 */
import type { Model } from './model.ts';
import type { ModelTokenizer } from './tokenizer.ts';

export interface TextGenerationOptions {
  maxNewTokens?: number;
  beams?: number;
  /** Prompts per engine call (left-padded together). */
  batchSize?: number;
  /** The output is cut before the first occurrence of any of these strings. */
  stop?: string[];
  threads?: number;
  /** Called after each batch of prompts with prompts done and the total. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Stops between batches and inside one (at the next decoding step): rejects with AbortError
   * (src/native/errors.ts, name 'AbortError'); results of finished batches are dropped. Default: none.
   */
  signal?: AbortSignal;
}

export interface TextGeneration {
  prompt: string;
  text: string;
  tokens: number;
  finish: 'eos' | 'length' | 'stop';
  /** Mean log-probability of the generated tokens (generation confidence, METHOD.md §7). */
  meanLogprob: number;
}

export function cutAtStop(text: string, stop: readonly string[]): { text: string; stopped: boolean } {
  let cut = text.length;
  for (const s of stop) {
    if (!s) continue;
    const i = text.indexOf(s);
    if (i >= 0 && i < cut) cut = i;
  }
  return { text: text.slice(0, cut), stopped: cut < text.length };
}

export async function generateText(model: Model, tok: ModelTokenizer, prompts: string[], o: TextGenerationOptions = {}): Promise<TextGeneration[]> {
  const batchSize = Math.max(1, o.batchSize ?? 8);
  const out: TextGeneration[] = [];
  for (let i = 0; i < prompts.length; i += batchSize) {
    o.signal?.throwIfAborted();
    const chunk = prompts.slice(i, i + batchSize);
    const ids = await Promise.all(chunk.map((p) => tok.encode(p)));
    const gens = await model.generate(ids, {
      maxNewTokens: o.maxNewTokens ?? 256, beams: o.beams ?? 1, eosIds: tok.eosIds, padId: tok.padId, threads: o.threads, signal: o.signal,
    });
    for (let k = 0; k < chunk.length; k++) {
      const g = gens[k];
      const body = g.finish === 'eos' ? g.tokens.subarray(0, g.tokens.length - 1) : g.tokens;
      const decoded = await tok.decode(body);
      const cut = cutAtStop(decoded, o.stop ?? []);
      const lp = g.logprobs.reduce((a, b) => a + b, 0) / Math.max(g.logprobs.length, 1);
      out.push({ prompt: chunk[k], text: cut.text, tokens: g.tokens.length, finish: cut.stopped ? 'stop' : g.finish, meanLogprob: lp });
    }
    o.onProgress?.(Math.min(i + batchSize, prompts.length), prompts.length);
  }
  return out;
}
