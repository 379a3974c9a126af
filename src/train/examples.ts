/**
 * The first pass over a run's training data: fit each example into the maximum length (input code
 * cut, targets never — counted in a TruncationReport), tokenise, and label the code whose tokens
 * carry weights (the output code: C# in translation, Java in completion; and the input Java when
 * the loss covers it). Labels and sub-word alignments are computed once here; each epoch only
 * redraws paths and weights from them (`rowFor`).
 *
 * What differs between variants is only what `rowFor` puts in `weights` and `pathMask`; ids and
 * loss positions come from the example alone, so every variant of a comparison trains on exactly
 * the same positions (a test asserts it).
 */
import { buildPrompt, codeOffsetInPrompt, type TaskName } from '../data/prompt.ts';
import { causalFromEncodings, lossMaskOf, makeCausalExample, type CausalExample, type OffsetEncoding, type OffsetTokenizer, type SequenceRow } from '../data/causal-example.ts';
import { fitExample, newTruncationReport, SPECIAL_TOKENS_PER_SEQUENCE, type TruncationReport } from '../data/truncation.ts';
import type { TaskExample } from '../data/tasks.ts';
import { codePointLength } from '../util/code-points.ts';
import { initLabeller, labelCodeDetailed, type CodeLang, type CodeToken } from '../code/index.ts';
import { drawModelWeights, exampleRng, prepareExample, scaleMatchLoss, type PreparedExample, type WeightModel } from '../weights/index.ts';

/** The code language of a task's output (null: not code). */
export function outputLang(task: TaskName): CodeLang | null {
  return task === 'translation' ? 'csharp' : task === 'completion' ? 'java' : null;
}

export interface TrainExample extends CausalExample {
  /** The task example's stable id (seeds the example's weight draws). */
  key: string;
  lossMask: Uint8Array;
  /** Labelled target code with its sub-word alignment (null: the target is not code). */
  target: PreparedExample | null;
  /** Labelled input code aligned to the prompt tokens (only when the loss covers the input). */
  input: PreparedExample | null;
  /** Target string, for CrystalBLEU's trivially shared n-grams. */
  targetText: string;
}

/**
 * Training examples whose code the grammar could not parse (tree-sitter ERROR/MISSING): their
 * unparsed regions are unlabelled and so get no path weights; the rest is labelled as usual.
 */
export interface ParseIssueReport {
  /** Labelled examples (targets, and inputs with lossOn input+output). */
  labelled: number;
  /** Example ids (TaskExample.id) with at least one parse issue, in data order. */
  ids: string[];
  /** Issues over all of them. */
  issues: number;
}

/** One summary line ("labeller: 3 of 1,200 training examples …: id1, id2, … and 1 more"), or null when none. */
export function formatParseIssueReport(r: ParseIssueReport, show = 5): string | null {
  if (!r.ids.length) return null;
  const named = r.ids.slice(0, show).join(', ') + (r.ids.length > show ? ` and ${r.ids.length - show} more` : '');
  return `labeller: ${r.ids.length.toLocaleString('en')} of ${r.labelled.toLocaleString('en')} training examples hold code the grammar could not parse (${r.issues} region${r.issues === 1 ? '' : 's'}, left unlabelled: no path weights there): ${named}`;
}

export interface PrepareOptions {
  task: TaskName;
  maxLength: number;
  lossOn: 'output' | 'input+output';
  /** BOS (null: none) and EOS exactly as the model's tokenizer adds them: ModelTokenizer bosId / eosId. */
  special: { bos: number | null; eos: number };
  /** Label code for weights (false for a baseline-only pass: labels are then not needed). */
  label: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** Prompt-token offsets shifted to be relative to the code inside the prompt. */
function shiftOffsets(promptOffsets: Int32Array, by: number): Int32Array {
  const out = new Int32Array(promptOffsets.length);
  for (let i = 0; i < out.length; i++) out[i] = promptOffsets[i] - by;
  return out;
}

/** Prompt tokens overlapping the code span [0, codeLen) after shifting: the input-code loss positions. */
function codeTokenMask(shifted: Int32Array, codeLenCp: number): Uint8Array {
  const m = new Uint8Array(shifted.length / 2);
  for (let j = 0; j < m.length; j++) if (shifted[2 * j + 1] > 0 && shifted[2 * j] < codeLenCp) m[j] = 1;
  return m;
}

export async function prepareTrainExamples(
  tok: OffsetTokenizer,
  examples: readonly TaskExample[],
  o: PrepareOptions,
): Promise<{ examples: TrainExample[]; truncation: TruncationReport; parseIssues: ParseIssueReport }> {
  const truncation = newTruncationReport(o.maxLength);
  const parseIssues: ParseIssueReport = { labelled: 0, ids: [], issues: 0 };
  let flagged = false;
  const label = (text: string, lang: CodeLang): CodeToken[] => {
    const r = labelCodeDetailed(text, lang);
    parseIssues.issues += r.issues.length;
    if (r.issues.length) flagged = true;
    return r.tokens;
  };
  const outLang = outputLang(o.task);
  if (o.label) await initLabeller(['java', 'csharp']);
  // The template is ASCII, so its UTF-16 length is its length in code points.
  const codeStart = codeOffsetInPrompt(o.task);
  const out: TrainExample[] = [];
  const CHUNK = 512;
  for (let c0 = 0; c0 < examples.length; c0 += CHUNK) {
    const chunk = examples.slice(c0, c0 + CHUNK);
    // Fast path: prompts and targets of a chunk tokenised in one call each; only examples that
    // do not fit go through fitExample's (slower, exact) cutting.
    const [pe, te] = tok.encodeBatch
      ? await Promise.all([
          tok.encodeBatch(chunk.map((e) => buildPrompt(o.task, e.input)), { addSpecialTokens: false }),
          tok.encodeBatch(chunk.map((e) => e.target), { addSpecialTokens: false }),
        ])
      : [null, null];
    for (let k = 0; k < chunk.length; k++) {
      const i = c0 + k;
      const ex = chunk[k];
      let ce: CausalExample;
      let code: string, target: string;
      const p: OffsetEncoding | undefined = pe?.[k], t: OffsetEncoding | undefined = te?.[k];
      if (p && t && p.getIds().length + t.getIds().length + SPECIAL_TOKENS_PER_SEQUENCE <= o.maxLength) {
        truncation.kept++;
        ce = causalFromEncodings(i, p, t, o.special);
        code = ex.input;
        target = ex.target;
      } else {
        const fit = await fitExample(tok, o.task, ex.input, ex.target, o.maxLength, truncation, ex.id);
        if (!fit) continue;
        ce = await makeCausalExample(tok, i, fit.prompt, fit.target, o.special);
        code = fit.code;
        target = fit.target;
      }
      const shifted = shiftOffsets(ce.promptOffsets, codeStart);
      const promptLoss = o.lossOn === 'input+output' ? codeTokenMask(shifted, codePointLength(code)) : undefined;
      flagged = false;
      out.push({
        ...ce,
        key: ex.id,
        lossMask: lossMaskOf(ce, promptLoss),
        target: o.label && outLang ? prepareExample(label(target, outLang), ce.targetOffsets) : null,
        input: o.label && o.lossOn === 'input+output' ? prepareExample(label(code, 'java'), shifted) : null,
        targetText: target,
      });
      if (o.label && (outLang || o.lossOn === 'input+output')) parseIssues.labelled++;
      if (flagged) parseIssues.ids.push(ex.id);
    }
    o.onProgress?.(Math.min(c0 + CHUNK, examples.length), examples.length);
  }
  return { examples: out, truncation, parseIssues };
}

/**
 * The batch row of `e` in `epoch`: ids and loss mask as prepared; with a weight model that draws
 * paths, this epoch's weights and path mask on the target (and input) code tokens. The draws are
 * seeded by (seed, example id, epoch) — not by batch position — so they do not depend on the order
 * examples are visited in. Scale-matched (METHOD.md §6): `full`'s weights are composed over the
 * row, then every loss position (target code, EOS, input code) gets their mean over the loss
 * positions, so the row's total loss weight equals full's.
 */
export function rowFor(e: TrainExample, weightModel: WeightModel | null, seed: number, epoch: number, schedule: 'dynamic' | 'static'): SequenceRow {
  const row: SequenceRow = { ids: e.ids, lossMask: e.lossMask };
  if (!weightModel || weightModel.spec.mode === null) return row;
  const weights = new Float32Array(e.ids.length).fill(1);
  const pathMask = new Uint8Array(e.ids.length);
  const scaleMatched = weightModel.spec.onPath === 'mean';
  const drawOpts = { scaleMatch: false }; // scale-matched is matched below, over the row's loss positions
  if (e.target) {
    const d = drawModelWeights(e.target, weightModel, exampleRng(seed, `${e.key}:target`, epoch, schedule), undefined, drawOpts);
    weights.set(d.weights, e.targetStart);
    pathMask.set(d.onPath, e.targetStart);
  }
  if (e.input) {
    const d = drawModelWeights(e.input, weightModel, exampleRng(seed, `${e.key}:input`, epoch, schedule), undefined, drawOpts);
    // Only the input-code positions carry loss; prompt tokens outside the code keep weight 1 and no path.
    for (let j = 0; j < d.weights.length; j++) {
      const p = e.promptStart + j;
      if (e.lossMask[p]) { weights[p] = d.weights[j]; pathMask[p] = d.onPath[j]; }
    }
  }
  if (scaleMatched) scaleMatchLoss(weights, e.lossMask);
  row.weights = weights;
  row.pathMask = pathMask;
  return row;
}
