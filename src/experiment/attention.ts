/**
 * Attention diagnostics on generated tokens (METHOD.md §7; definitions in docs/attention.md).
 *
 * Each example's prompt (`buildPrompt(task, input)`, encoded exactly as generation encodes it:
 * ModelTokenizer.encodePrompt, the BOS the tokenizer's post-processor adds, then the text)
 * is decoded greedily with attention capture on one layer (default the last). The engine returns,
 * per generated token, the attention of the query that produced it over that prompt's own positions
 * [generated, heads, promptLength]; left padding is sliced off natively, so batching never puts
 * padding into these rows. Heads are averaged. Then, per example:
 *
 * - confidence  = mean natural-log probability of the generated tokens (EOS included when emitted);
 * - entropy     = mean over generated tokens of H(p) = −Σ p_i ln p_i, p = the attention over the
 *                 INCLUDED prompt positions renormalised to sum 1 (nats);
 * - focus       = mean over generated tokens of (mass on included positions whose model token
 *                 overlaps the Java input code) / (mass on included positions);
 * - recency     = mean over generated tokens of (mass on the last k included positions) / (mass on
 *                 included positions);
 * - humanAlignment = Spearman ρ (average ranks for ties) between, per labelled non-punctuation code
 *                 token of the input whose label has a prior in `mode`, the attention mass it
 *                 receives (Σ over generated tokens of the head-averaged attention, raw, summed over
 *                 every model token whose span overlaps it) and E[θ] of its label. Undefined (null)
 *                 with fewer than 3 such tokens or no variation on either side.
 *
 * INCLUDED positions: every prompt position except special tokens (BOS, and anything else the
 * tokenizer's post-processor marks special). BOS is left out because causal LMs park a large, content-
 * free share of attention on the first position (an "attention sink"); keeping it would make entropy,
 * focus and recency mostly measure that sink. Its share is reported per example as `specialShare`.
 *
 * This module drives the model (prompts, greedy decoding with attention capture, the report). The
 * maths is in small pure functions tests check by hand: the attention measures in src/eval/attention.ts
 * (`attentionEntropy`, `promptLayout`, `headAverage`, `summarizeAttention`, `codeTokenMass`), the
 * statistics in src/eval/stats.ts (`spearman`, `averageRanks`, `summarize`).
 */
import type { Model } from '../model/model.ts';
import type { ModelTokenizer } from '../model/tokenizer.ts';
import type { TaskExample } from '../data/tasks.ts';
import { buildPrompt, codeOffsetInPrompt } from '../data/prompt.ts';
import { initLabeller, labelCodeSync, type CodeToken } from '../code/index.ts';
import { isLabelName } from '../code/labels.ts';
import { loadPriors, defaultPriorsPath } from '../priors/io.ts';
import { MODES, type Mode, type Priors } from '../priors/format.ts';
import { modePriors, salience } from '../priors/stats.ts';
import { codePointLength } from '../util/code-points.ts';
import {
  codeTokenMass,
  headAverage,
  promptLayout,
  summarizeAttention,
  type PromptLayout,
} from '../eval/attention.ts';
import { spearman, summarize, type SummaryStat } from '../eval/stats.ts';
import { OptionError } from '../util/errors.ts';

export const DIAGNOSTIC_NAMES = ['confidence', 'entropy', 'focus', 'recency', 'humanAlignment'] as const;
export type DiagnosticName = (typeof DIAGNOSTIC_NAMES)[number];

// --- the experiment -----------------------------------------------------------------------------

export interface AttentionDiagnosticsOptions {
  /** The first n examples in the given order (default 24; fewer when fewer are given). */
  n?: number;
  /** Greedy decoding length limit (default 128); decoding also stops at EOS. */
  maxNewTokens?: number;
  /** Layer whose attention is read (0-based; default the last). */
  layer?: number;
  /** How many of the last included prompt positions count as "recent" (default 8). */
  recencyK?: number;
  /** Human-attention priors (default: the shipped EyeTrans priors, priors/eyetrans.json). */
  priors?: Priors;
  /** Which mode's E[θ] to correlate with (default "combined"). */
  mode?: Mode;
  /** Prompts per engine call (default 1). Padding never reaches the diagnostics either way. */
  batchSize?: number;
  /** Examples whose prompt is longer (in model tokens, BOS included) are skipped and reported. */
  maxPromptTokens?: number;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** One example's diagnostics and what they were computed from. */
export interface ExampleDiagnostics {
  id: string;
  confidence: number;
  entropy: number;
  focus: number;
  recency: number;
  /** Null when undefined for this example; `alignmentNote` says why. */
  humanAlignment: number | null;
  alignmentNote: string | null;
  /** Labelled code tokens that entered the correlation. */
  alignmentTokens: number;
  /** Prompt length in model tokens (special tokens included). */
  promptTokens: number;
  /** Prompt positions that take part (all but special tokens). */
  includedPositions: number;
  /** Of those, how many overlap the input code. */
  codePositions: number;
  generatedTokens: number;
  finish: 'eos' | 'length';
  /** Mean share of each generated token's prompt attention on special positions (BOS). */
  specialShare: number;
  /** The decoded generation (EOS removed). */
  prediction: string;
}

export interface ExcludedReport {
  total: number;
  byReason: Record<string, number>;
  items: Array<{ id: string; reason: string }>;
}

export interface AttentionDiagnosticsResult {
  /** The examples with diagnostics, in input order; every `values` array is aligned with it. */
  ids: string[];
  values: {
    confidence: number[];
    entropy: number[];
    focus: number[];
    recency: number[];
    /** Null where undefined (see `alignmentExcluded`); the summary uses the non-null values only. */
    humanAlignment: Array<number | null>;
  };
  summary: Record<DiagnosticName, SummaryStat>;
  examples: ExampleDiagnostics[];
  /** Examples dropped before decoding (not in `ids`). */
  skipped: ExcludedReport;
  /** Examples in `ids` whose humanAlignment is null, with the reason. */
  alignmentExcluded: ExcludedReport;
  settings: {
    layer: number;
    layers: number;
    heads: number;
    maxNewTokens: number;
    recencyK: number;
    mode: Mode;
    batchSize: number;
    requested: number;
    excludedPositions: 'special tokens (BOS)';
    priorsSource: string;
    priorsCitations: string[];
  };
}

function report(items: Array<{ id: string; reason: string }>): ExcludedReport {
  const byReason: Record<string, number> = {};
  for (const it of items) byReason[it.reason] = (byReason[it.reason] ?? 0) + 1;
  return { total: items.length, byReason, items };
}

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 1) throw new OptionError(`${name} must be a positive integer, got ${v}`);
  return x;
}

interface Prepared {
  ex: TaskExample;
  ids: number[];
  layout: PromptLayout;
  codeStartCp: number;
}

/** E[θ] of a label in the mode, or null when the mode has no prior for it. */
function salienceLookup(priors: Priors, mode: Mode): (label: string) => number | null {
  const mp = modePriors(priors, mode);
  return (label) => {
    if (!isLabelName(label)) return null;
    const p = mp.labels[label];
    return p ? salience(p) : null;
  };
}

/**
 * Runs the diagnostics on the first `opts.n` examples (see the file comment for definitions).
 * Greedy decoding only; the model is not modified.
 */
export async function attentionDiagnostics(
  model: Model,
  tokenizer: ModelTokenizer,
  examples: readonly TaskExample[],
  opts: AttentionDiagnosticsOptions = {},
): Promise<AttentionDiagnosticsResult> {
  const n = positiveInt('n', opts.n, 24);
  const maxNewTokens = positiveInt('maxNewTokens', opts.maxNewTokens, 128);
  const batchSize = positiveInt('batchSize', opts.batchSize, 1);
  const recencyK = opts.recencyK ?? 8;
  if (!Number.isInteger(recencyK) || recencyK < 1) throw new OptionError(`recencyK must be a positive integer, got ${opts.recencyK}`);
  if (opts.maxPromptTokens !== undefined) positiveInt('maxPromptTokens', opts.maxPromptTokens, 1);
  const mode = opts.mode ?? 'combined';
  if (!(MODES as readonly string[]).includes(mode)) throw new OptionError(`unknown priors mode "${mode}" (use ${MODES.join(', ')})`);
  const info = model.info();
  const layer = opts.layer ?? info.layers - 1;
  if (!Number.isInteger(layer) || layer < 0 || layer >= info.layers) {
    throw new OptionError(`layer must be an integer in [0, ${info.layers - 1}] (the model has ${info.layers} layers), got ${opts.layer}`);
  }
  const priors = opts.priors ?? loadPriors(defaultPriorsPath());
  const salienceOf = salienceLookup(priors, mode);
  await initLabeller(['java']);

  const chosen = examples.slice(0, n);
  const skips: Array<{ id: string; reason: string }> = [];
  const prepared: Prepared[] = [];
  for (const ex of chosen) {
    const prompt = buildPrompt(ex.task, ex.input);
    const off = codeOffsetInPrompt(ex.task);
    // The same ids ModelTokenizer.encode (and so generateText / eval) feeds the model.
    const { ids, offsets: offs, specialMask: special } = await tokenizer.encodePrompt(prompt);
    if (opts.maxPromptTokens !== undefined && ids.length > opts.maxPromptTokens) {
      skips.push({ id: ex.id, reason: `prompt longer than ${opts.maxPromptTokens} tokens` });
      continue;
    }
    const flat = new Int32Array(offs.length * 2);
    offs.forEach(([a, b], i) => { flat[2 * i] = a; flat[2 * i + 1] = b; });
    const codeStartCp = codePointLength(prompt.slice(0, off));
    const layout = promptLayout(flat, special, [codeStartCp, codeStartCp + codePointLength(ex.input)], recencyK);
    prepared.push({ ex, ids, layout, codeStartCp });
  }

  const out: ExampleDiagnostics[] = [];
  const alignmentExcluded: Array<{ id: string; reason: string }> = [];
  let done = 0;
  opts.onProgress?.(0, prepared.length);
  for (let b = 0; b < prepared.length; b += batchSize) {
    opts.signal?.throwIfAborted();
    const chunk = prepared.slice(b, b + batchSize);
    const gens = await model.generate(chunk.map((p) => p.ids), {
      maxNewTokens, eosIds: tokenizer.eosIds, padId: tokenizer.padId, attentionLayers: [layer], threads: opts.threads,
    });
    for (let k = 0; k < chunk.length; k++) {
      const { ex, layout, codeStartCp } = chunk[k];
      const g = gens[k];
      const G = g.tokens.length;
      const att = g.attention?.[String(layer)];
      if (!att) throw new Error(`the engine returned no attention for layer ${layer}`);
      const [sG, H, P] = att.shape;
      if (sG !== G || P !== layout.length) {
        throw new Error(`attention of ${ex.id} has shape [${att.shape.join(', ')}], expected [${G}, heads, ${layout.length}]`);
      }
      const avg = headAverage(att.data, G, H, P);
      const s = summarizeAttention(avg, G, layout);
      let lp = 0;
      for (const x of g.logprobs) lp += x;
      const confidence = lp / G;
      if (s.steps === 0) {
        skips.push({ id: ex.id, reason: 'no attention mass on the prompt' });
        continue;
      }

      // Human alignment: labelled, non-punctuation code tokens with a prior in this mode.
      let humanAlignment: number | null = null;
      let alignmentNote: string | null = null;
      let used = 0;
      let tokens: CodeToken[] = [];
      try {
        tokens = labelCodeSync(ex.input, 'java');
      } catch (e) {
        alignmentNote = `labeller failed: ${(e as Error).message}`;
      }
      if (alignmentNote === null) {
        const spans: number[] = [];
        const sal: number[] = [];
        for (const t of tokens) {
          if (t.punct || t.label === null) continue;
          const e = salienceOf(t.label);
          if (e === null) continue;
          spans.push(codeStartCp + t.startCp, codeStartCp + t.endCp);
          sal.push(e);
        }
        used = sal.length;
        const mass = codeTokenMass(s.positionMass, layout.offsets, Int32Array.from(spans), layout.included);
        humanAlignment = spearman(mass, sal);
        if (humanAlignment === null) {
          if (used < 3) alignmentNote = 'fewer than 3 labelled code tokens';
          else if (new Set(sal).size < 2) alignmentNote = 'E[θ] does not vary (one label)';
          else alignmentNote = 'attention mass does not vary';
        }
      }
      if (alignmentNote !== null) alignmentExcluded.push({ id: ex.id, reason: alignmentNote });

      const body = g.finish === 'eos' ? g.tokens.subarray(0, G - 1) : g.tokens;
      let includedPositions = 0, codePositions = 0;
      for (let i = 0; i < layout.length; i++) { includedPositions += layout.included[i]; codePositions += layout.code[i]; }
      out.push({
        id: ex.id, confidence, entropy: s.entropy, focus: s.focus, recency: s.recency,
        humanAlignment, alignmentNote, alignmentTokens: used,
        promptTokens: layout.length, includedPositions, codePositions, generatedTokens: G, finish: g.finish,
        specialShare: s.specialShare, prediction: await tokenizer.decode(body),
      });
    }
    done += chunk.length;
    opts.onProgress?.(done, prepared.length);
  }

  const values = {
    confidence: out.map((e) => e.confidence),
    entropy: out.map((e) => e.entropy),
    focus: out.map((e) => e.focus),
    recency: out.map((e) => e.recency),
    humanAlignment: out.map((e) => e.humanAlignment),
  };
  const summary = Object.fromEntries(DIAGNOSTIC_NAMES.map((k) => [k, summarize(values[k])])) as Record<DiagnosticName, SummaryStat>;
  const prov = priors.provenance as { source: string; citations?: unknown };
  return {
    ids: out.map((e) => e.id),
    values,
    summary,
    examples: out,
    skipped: report(skips),
    alignmentExcluded: report(alignmentExcluded),
    settings: {
      layer, layers: info.layers, heads: info.heads, maxNewTokens, recencyK, mode, batchSize, requested: chosen.length,
      excludedPositions: 'special tokens (BOS)',
      priorsSource: prov.source,
      priorsCitations: Array.isArray(prov.citations) ? prov.citations.filter((c): c is string => typeof c === 'string') : [],
    },
  };
}
