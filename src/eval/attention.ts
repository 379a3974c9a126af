/**
 * Attention measures over prompt positions (METHOD.md §7; definitions in docs/attention.md): pure
 * maths on arrays, no model. src/experiment/attention.ts drives the model and applies them to each
 * generated token's attention over its prompt.
 *
 * Units: attention values are probabilities (one row per generated token sums to 1 over the prompt);
 * spans and offsets are [start, end) pairs in prompt code points (the unit tokenizer offsets use);
 * entropies are in nats.
 */

/**
 * Shannon entropy (nats) of `weights` renormalised to sum 1 over the entries where `include` is 1
 * (all entries when `include` is omitted). Zero entries contribute 0 (0·ln 0 = 0). NaN when the
 * included mass is not positive. Bounded by ln(number of included entries).
 */
export function attentionEntropy(weights: ArrayLike<number>, include?: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) if (!include || include[i]) total += weights[i];
  if (!(total > 0)) return NaN;
  let h = 0;
  for (let i = 0; i < weights.length; i++) {
    if (include && !include[i]) continue;
    const p = weights[i] / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

/** Where each prompt position stands, for one example. */
export interface PromptLayout {
  /** Prompt length in model tokens (special tokens included): the attention's last dimension. */
  length: number;
  /** [start, end) of each model token in prompt code points, flat pairs (specials: [0, 0)). */
  offsets: Int32Array;
  /** 1 where the position takes part in the distributions (every position but special tokens). */
  included: Uint8Array;
  /** 1 where an included position's model token overlaps the input code's span. */
  code: Uint8Array;
  /** 1 for the last `recencyK` included positions. */
  recent: Uint8Array;
}

/** Half-open spans overlap when they share at least one code point (empty spans never overlap). */
function overlaps(a0: number, a1: number, b0: number, b1: number): boolean {
  return a0 < a1 && b0 < b1 && a0 < b1 && b0 < a1;
}

/**
 * Classifies prompt positions. `offsets`: model-token spans (flat pairs, prompt code points);
 * `special`: 1 for special tokens (excluded); `codeSpan`: [start, end) of the input code in the
 * prompt, in code points; `recencyK`: how many of the last included positions are "recent".
 */
export function promptLayout(offsets: Int32Array, special: ArrayLike<number>, codeSpan: readonly [number, number], recencyK: number): PromptLayout {
  const n = offsets.length >> 1;
  if (special.length !== n) throw new RangeError(`promptLayout: ${n} offsets but ${special.length} special flags`);
  const included = new Uint8Array(n), code = new Uint8Array(n), recent = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (special[i]) continue;
    included[i] = 1;
    if (overlaps(offsets[2 * i], offsets[2 * i + 1], codeSpan[0], codeSpan[1])) code[i] = 1;
  }
  let left = Math.max(0, Math.floor(recencyK));
  for (let i = n - 1; i >= 0 && left > 0; i--) {
    if (!included[i]) continue;
    recent[i] = 1;
    left--;
  }
  return { length: n, offsets, included, code, recent };
}

/** Mean over heads of [steps, heads, n] attention: [steps, n] row-major (float64). */
export function headAverage(data: ArrayLike<number>, steps: number, heads: number, n: number): Float64Array {
  if (data.length !== steps * heads * n) throw new RangeError(`headAverage: ${data.length} values is not ${steps}×${heads}×${n}`);
  const out = new Float64Array(steps * n);
  for (let t = 0; t < steps; t++) {
    const o = t * n;
    for (let h = 0; h < heads; h++) {
      const base = (t * heads + h) * n;
      for (let i = 0; i < n; i++) out[o + i] += data[base + i];
    }
    for (let i = 0; i < n; i++) out[o + i] /= heads;
  }
  return out;
}

export interface AttentionSummary {
  /** Mean over generated tokens of the entropy (nats) of the renormalised included attention. */
  entropy: number;
  /** Mean over generated tokens of the code share of the included mass. */
  focus: number;
  /** Mean over generated tokens of the last-k share of the included mass. */
  recency: number;
  /** Mean over generated tokens of (mass on excluded = special positions) / (mass on the prompt). */
  specialShare: number;
  /** Generated tokens averaged over (those with positive included mass). */
  steps: number;
  /** Σ over generated tokens of the (head-averaged, raw) attention at each prompt position. */
  positionMass: Float64Array;
}

/**
 * Entropy, focus and recency of head-averaged attention `avg` [steps, layout.length] (row t = the
 * attention of generated token t over the prompt), averaged over generated tokens. Steps whose
 * included mass is zero are left out of the averages; with none left the results are NaN.
 */
export function summarizeAttention(avg: ArrayLike<number>, steps: number, layout: PromptLayout): AttentionSummary {
  const n = layout.length;
  if (avg.length !== steps * n) throw new RangeError(`summarizeAttention: ${avg.length} values is not ${steps}×${n}`);
  const positionMass = new Float64Array(n);
  let eSum = 0, fSum = 0, rSum = 0, sSum = 0, used = 0;
  const row = new Float64Array(n);
  for (let t = 0; t < steps; t++) {
    let inc = 0, code = 0, recent = 0, all = 0;
    for (let i = 0; i < n; i++) {
      const a = avg[t * n + i];
      row[i] = a;
      positionMass[i] += a;
      all += a;
      if (!layout.included[i]) continue;
      inc += a;
      if (layout.code[i]) code += a;
      if (layout.recent[i]) recent += a;
    }
    if (!(inc > 0)) continue;
    used++;
    eSum += attentionEntropy(row, layout.included);
    fSum += code / inc;
    rSum += recent / inc;
    sSum += (all - inc) / all;
  }
  return { entropy: eSum / used, focus: fSum / used, recency: rSum / used, specialShare: sSum / used, steps: used, positionMass };
}

/**
 * Attention mass per code token: for each code span (flat [start, end) pairs, same units as
 * `offsets`), the sum of `positionMass` over every model token whose span overlaps it. A model
 * token straddling two code tokens counts, whole, toward both. Positions with `include` 0 are
 * ignored (special tokens have empty spans anyway).
 */
export function codeTokenMass(positionMass: ArrayLike<number>, offsets: Int32Array, codeSpans: Int32Array, include?: ArrayLike<number>): Float64Array {
  const n = offsets.length >> 1, nc = codeSpans.length >> 1;
  if (positionMass.length !== n) throw new RangeError(`codeTokenMass: ${positionMass.length} masses but ${n} model tokens`);
  const out = new Float64Array(nc);
  for (let j = 0; j < nc; j++) {
    const c0 = codeSpans[2 * j], c1 = codeSpans[2 * j + 1];
    let s = 0;
    for (let i = 0; i < n; i++) {
      if (include && !include[i]) continue;
      if (overlaps(offsets[2 * i], offsets[2 * i + 1], c0, c1)) s += positionMass[i];
    }
    out[j] = s;
  }
  return out;
}

