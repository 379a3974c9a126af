/**
 * Fitting examples into a maximum sequence length. A training sequence is
 * [BOS] prompt(code) target [EOS] (causal-example.ts), so it needs prompt + target + 2 tokens.
 * Only the INPUT code is ever shortened — never the target, whose every token (and EOS) carries
 * loss in every method:
 * - fits (prompt + target + 2 ≤ max): kept as is;
 * - else, if the bare template (the prompt with empty code) + target + 2 ≤ max: the code is cut
 *   from the end, keeping as many of its leading tokens as fit ("truncated input");
 * - else: dropped ("too long") — no amount of input cutting makes the target fit.
 * Every decision is counted in a TruncationReport {kept, truncatedInputs, droppedTooLong} that the
 * run prints (kept counts the truncated ones too: kept = examples that go on to training).
 *
 * `planTruncation` is the arithmetic on token counts; `fitExample` applies it with a real tokenizer:
 * it cuts the code at the end offset (code points) of its last kept token and re-encodes the prompt,
 * shortening further if sub-word merges across the cut made the prompt longer than planned, so the
 * result is guaranteed to fit.
 */
import { buildPrompt, type TaskName } from './prompt.ts';
import type { OffsetTokenizer } from './causal-example.ts';
import { OptionError } from '../util/errors.ts';

/** BOS + EOS: an upper bound (a tokenizer without BOS, e.g. Qwen2, uses one fewer). */
export const SPECIAL_TOKENS_PER_SEQUENCE = 2;

export interface LengthCounts {
  /** Tokens of the whole prompt (template + code). */
  promptTokens: number;
  /** Tokens of the code inside the prompt. */
  codeTokens: number;
  targetTokens: number;
}

export type TruncationPlan =
  | { action: 'keep'; codeTokens: number }
  | { action: 'truncate'; codeTokens: number; cut: number }
  | { action: 'drop'; needed: number };

export interface TruncationReport {
  maxLength: number;
  /** Examples that go on (including truncated ones). */
  kept: number;
  /** Kept examples whose input code was shortened. */
  truncatedInputs: number;
  /** Examples whose template + target alone exceed maxLength. */
  droppedTooLong: number;
  /** Code tokens removed in total. */
  codeTokensCut: number;
  /** Ids of the first few dropped examples (for the printed report). */
  droppedIds: string[];
}

const DROPPED_IDS_KEPT = 10;

function checkMax(maxLength: number): void {
  if (!Number.isInteger(maxLength) || maxLength < SPECIAL_TOKENS_PER_SEQUENCE + 1)
    throw new OptionError(`max length must be an integer ≥ ${SPECIAL_TOKENS_PER_SEQUENCE + 1}, got ${maxLength}`);
}

export function newTruncationReport(maxLength: number): TruncationReport {
  checkMax(maxLength);
  return { maxLength, kept: 0, truncatedInputs: 0, droppedTooLong: 0, codeTokensCut: 0, droppedIds: [] };
}

/** What to do with an example of these token counts. */
export function planTruncation(c: LengthCounts, maxLength: number): TruncationPlan {
  checkMax(maxLength);
  for (const [k, v] of Object.entries(c)) if (!Number.isInteger(v) || v < 0) throw new OptionError(`${k} must be a non-negative integer, got ${v}`);
  if (c.codeTokens > c.promptTokens) throw new OptionError(`codeTokens (${c.codeTokens}) cannot exceed promptTokens (${c.promptTokens})`);
  const total = c.promptTokens + c.targetTokens + SPECIAL_TOKENS_PER_SEQUENCE;
  if (total <= maxLength) return { action: 'keep', codeTokens: c.codeTokens };
  const template = c.promptTokens - c.codeTokens;
  const bare = template + c.targetTokens + SPECIAL_TOKENS_PER_SEQUENCE;
  if (bare > maxLength) return { action: 'drop', needed: bare };
  const keep = maxLength - bare;
  return { action: 'truncate', codeTokens: keep, cut: c.codeTokens - keep };
}

/** Adds one decision to the report. */
export function recordTruncation(r: TruncationReport, plan: TruncationPlan, id?: string): void {
  if (plan.action === 'drop') {
    r.droppedTooLong++;
    if (id !== undefined && r.droppedIds.length < DROPPED_IDS_KEPT) r.droppedIds.push(id);
    return;
  }
  r.kept++;
  if (plan.action === 'truncate') {
    r.truncatedInputs++;
    r.codeTokensCut += plan.cut;
  }
}

export function formatTruncationReport(r: TruncationReport): string {
  const total = r.kept + r.droppedTooLong;
  const pct = (x: number) => (total === 0 ? '0.0' : ((100 * x) / total).toFixed(1));
  const lines = [
    `max length ${r.maxLength}: ${total} examples → kept ${r.kept}` +
      `, input code truncated in ${r.truncatedInputs} (${pct(r.truncatedInputs)}%, ${r.codeTokensCut} code tokens cut)` +
      `, dropped ${r.droppedTooLong} as too long (${pct(r.droppedTooLong)}%: template + target + 2 > max)`,
  ];
  if (r.droppedIds.length > 0) lines.push(`  dropped: ${r.droppedIds.join(', ')}${r.droppedTooLong > r.droppedIds.length ? ', …' : ''}`);
  return lines.join('\n');
}

export interface FittedExample {
  /** The (possibly shortened) code and the prompt built from it. */
  code: string;
  prompt: string;
  target: string;
  promptTokens: number;
  targetTokens: number;
  /** Code tokens removed (0 when it fitted). */
  codeTokensCut: number;
  truncated: boolean;
}

async function count(tok: OffsetTokenizer, text: string): Promise<number> {
  return (await tok.encode(text, null, { addSpecialTokens: false })).getIds().length;
}

/**
 * Fits one example into maxLength with a real tokenizer (see the file comment). Returns null when
 * it is dropped. The decision is recorded in `report` when given.
 */
export async function fitExample(
  tok: OffsetTokenizer,
  task: TaskName,
  code: string,
  target: string,
  maxLength: number,
  report?: TruncationReport,
  id?: string,
): Promise<FittedExample | null> {
  checkMax(maxLength);
  const targetTokens = await count(tok, target);
  const prompt = buildPrompt(task, code);
  const promptTokens = await count(tok, prompt);
  if (promptTokens + targetTokens + SPECIAL_TOKENS_PER_SEQUENCE <= maxLength) {
    if (report) report.kept++;
    return { code, prompt, target, promptTokens, targetTokens, codeTokensCut: 0, truncated: false };
  }
  const codeEnc = await tok.encode(code, null, { addSpecialTokens: false });
  const codeOffsets = codeEnc.getOffsets();
  const codeTokens = codeOffsets.length;
  const templateTokens = await count(tok, buildPrompt(task, ''));
  const plan = planTruncation({ promptTokens: templateTokens + codeTokens, codeTokens, targetTokens }, maxLength);
  if (plan.action === 'drop') {
    if (report) recordTruncation(report, plan, id);
    return null;
  }
  const cps = Array.from(code);
  let keep = Math.min(plan.codeTokens, codeTokens - 1);
  for (;;) {
    const end = keep <= 0 ? 0 : codeOffsets[keep - 1][1];
    const cut = cps.slice(0, end).join('');
    const p = buildPrompt(task, cut);
    const pt = await count(tok, p);
    const over = pt + targetTokens + SPECIAL_TOKENS_PER_SEQUENCE - maxLength;
    if (over <= 0) {
      const removed = codeTokens - keep;
      if (report) recordTruncation(report, { action: 'truncate', codeTokens: keep, cut: removed });
      return { code: cut, prompt: p, target, promptTokens: pt, targetTokens, codeTokensCut: removed, truncated: true };
    }
    if (keep <= 0) {
      if (report) recordTruncation(report, { action: 'drop', needed: pt + targetTokens + SPECIAL_TOKENS_PER_SEQUENCE }, id);
      return null;
    }
    keep = Math.max(0, keep - over);
  }
}
