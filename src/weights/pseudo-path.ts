/**
 * Pseudo scan paths (METHOD.md §4), drawn from priors without any gaze:
 * 1. ρ ~ Beta(α_agg, β_agg); m = ⌊ρ·n⌋ with n the number of candidate tokens;
 * 2. m is shared among labels in proportion to E[θ_s]·n_s by largest remainder, at most n_s each
 *    (what a cap frees is shared again among the others); each label's quota is picked uniformly
 *    among its tokens;
 * 3. the picked tokens, in source order, are grouped greedily: trigram if the three labels are in
 *    the trigram vocabulary and span at most L source lines, else bigram likewise, else monogram.
 * Candidates are labelled, non-punctuation tokens whose label has a prior in the mode used (see
 * prepared.ts). Every random choice comes from the Rng passed in: the same seed gives the same path.
 */
import type { Rng } from '../util/rng.ts';
import type { PreparedCode } from './prepared.ts';
import { packBigram, packTrigram, type PriorTables } from './prior-tables.ts';
import { LABEL_SLOTS } from './types.ts';

export interface PathOptions {
  /** L: a bi/trigram group spans at most this many source lines (METHOD.md: 4). */
  maxLines?: number;
  /** "ngram" (METHOD.md §4) or "monogram" (every picked token its own group: the no-rarity/flow variant). */
  grouping?: 'ngram' | 'monogram';
}

export interface PseudoPath {
  /** The density drawn, and m = ⌊ρ·n⌋ tokens requested from n candidates. */
  rho: number;
  m: number;
  n: number;
  /** How many tokens were picked, and how many groups they form. */
  nPicked: number;
  nGroups: number;
  /** Picked code-token indices in source order (first nPicked entries). */
  picked: Int32Array;
  /** Per code token: 1 on the path. */
  onPath: Uint8Array;
  /** Per code token: its group index (−1 off the path). */
  groupOf: Int32Array;
  /** Per group (first nGroups entries): size (1–3), prior count(g) of its label n-gram, and first member's position in `picked`. */
  groupSize: Uint8Array;
  groupCount: Float64Array;
  groupFirst: Int32Array;
}

/**
 * Largest-remainder apportionment of m among labels with weights v_s, capped at caps_s. Labels that
 * would get at least their cap are fixed at it and the rest is shared again among the others
 * (water-filling), then floors plus one extra unit to the largest remainders; remainder ties go to
 * the larger weight, then the lower label id, so the result is deterministic.
 */
export function allocateQuotas(m: number, weights: ArrayLike<number>, caps: ArrayLike<number>, out: Int32Array = new Int32Array(weights.length)): Int32Array {
  const k = weights.length;
  out.fill(0);
  if (quotaActive.length < k) {
    quotaActive = new Int32Array(k);
    quotaRem = new Float64Array(k);
  }
  // The labels still sharing, as a compact list (a snippet has a handful of labels, not 32).
  const act = quotaActive;
  let na = 0;
  let capacity = 0;
  for (let s = 0; s < k; s++) {
    if (weights[s] > 0 && caps[s] > 0) {
      act[na++] = s;
      capacity += caps[s];
    }
  }
  let remaining = Math.min(m, capacity);
  while (na > 0 && remaining > 0) {
    let total = 0;
    for (let i = 0; i < na; i++) total += weights[act[i]];
    let kept = 0;
    let freed = 0;
    for (let i = 0; i < na; i++) {
      const s = act[i];
      if ((remaining * weights[s]) / total >= caps[s]) {
        out[s] = caps[s];
        freed += caps[s];
      } else act[kept++] = s;
    }
    if (kept < na) {
      // Some caps bind: fix them and share what is left among the others.
      na = kept;
      remaining -= freed;
      continue;
    }
    // No cap binds: floors, then the leftover units by largest remainder.
    const rem = quotaRem;
    let given = 0;
    for (let i = 0; i < na; i++) {
      const s = act[i];
      const ideal = (remaining * weights[s]) / total;
      out[s] = Math.floor(ideal);
      rem[i] = ideal - out[s];
      given += out[s];
    }
    for (let left = remaining - given; left > 0; left--) {
      let best = -1;
      for (let i = 0; i < na; i++) {
        if (best < 0 || rem[i] > rem[best] || (rem[i] === rem[best] && weights[act[i]] > weights[act[best]])) best = i;
      }
      out[act[best]]++;
      rem[best] = -1;
    }
    break;
  }
  return out;
}

// Scratch reused across draws (a draw is synchronous, so sharing is safe): the per-epoch loop then
// allocates nothing here.
let quotaActive = new Int32Array(LABEL_SLOTS);
let quotaRem = new Float64Array(LABEL_SLOTS);
let scratch = new Int32Array(256);
const quotaWeights = new Float64Array(LABEL_SLOTS);
const quotaCaps = new Int32Array(LABEL_SLOTS);
const quotas = new Int32Array(LABEL_SLOTS);

/**
 * Buffers a draw writes into. Reusing one workspace across draws keeps the per-epoch loop free of
 * allocations; a path drawn into a workspace is valid only until the next draw into it.
 */
export class PathWorkspace {
  onPath: Uint8Array;
  groupOf: Int32Array;
  picked: Int32Array;
  groupSize: Uint8Array;
  groupCount: Float64Array;
  groupFirst: Int32Array;
  constructor(capacity = 64) {
    this.onPath = new Uint8Array(capacity);
    this.groupOf = new Int32Array(capacity);
    this.picked = new Int32Array(capacity);
    this.groupSize = new Uint8Array(capacity);
    this.groupCount = new Float64Array(capacity);
    this.groupFirst = new Int32Array(capacity);
  }
  ensure(n: number): void {
    if (this.onPath.length >= n) return;
    const cap = Math.max(n, this.onPath.length * 2);
    Object.assign(this, new PathWorkspace(cap));
  }
}

/**
 * Step 3 of METHOD.md §4: walks the picked tokens (source order) and groups them greedily —
 * trigram if the label triple is in the trigram vocabulary (prior count > 0) and the three start
 * lines span at most L lines, else bigram likewise, else monogram. Writes groupOf / groupSize /
 * groupCount / groupFirst into `ws` and returns the number of groups. Monogram count(g) is the
 * label's monogram count (0 when pruned or absent, which the weight formula handles: 1/ln 2).
 */
export function groupPicked(
  picked: Int32Array,
  nPicked: number,
  labelIds: Uint8Array,
  lines: Int32Array,
  tables: PriorTables,
  opts: PathOptions,
  ws: PathWorkspace,
): number {
  const maxLines = opts.maxLines ?? 4;
  const grouping = opts.grouping ?? 'ngram';
  ws.ensure(labelIds.length);
  const { groupOf, groupSize, groupCount, groupFirst } = ws;
  groupOf.fill(-1, 0, labelIds.length);
  let g = 0;
  for (let i = 0; i < nPicked; ) {
    const a = picked[i];
    const la = labelIds[a];
    let size = 1;
    let count = tables.mono[la];
    if (grouping === 'ngram') {
      if (i + 2 < nPicked) {
        const c = picked[i + 2];
        const tc = tables.tri[packTrigram(la, labelIds[picked[i + 1]], labelIds[c])];
        if (tc > 0 && lines[c] - lines[a] < maxLines) {
          size = 3;
          count = tc;
        }
      }
      if (size === 1 && i + 1 < nPicked) {
        const b = picked[i + 1];
        const bc = tables.bi[packBigram(la, labelIds[b])];
        if (bc > 0 && lines[b] - lines[a] < maxLines) {
          size = 2;
          count = bc;
        }
      }
    }
    groupSize[g] = size;
    groupCount[g] = count;
    groupFirst[g] = i;
    for (let k = 0; k < size; k++) groupOf[picked[i + k]] = g;
    g++;
    i += size;
  }
  return g;
}

/**
 * Draws one pseudo path. Without a workspace the result owns fresh arrays of exact lengths; with
 * one, its arrays are the workspace's buffers (possibly longer than n / nPicked / nGroups: read
 * only those entries), so the hot path creates no views.
 */
export function drawPseudoPath(code: PreparedCode, tables: PriorTables, rng: Rng, opts: PathOptions = {}, ws?: PathWorkspace): PseudoPath {
  const fresh = !ws;
  if (ws) ws.ensure(code.n);
  else ws = new PathWorkspace(code.n);
  const { labelIds, lines, candStart, candMembers } = code;

  // 1. density and path length
  let n = 0;
  for (let s = 1; s < LABEL_SLOTS; s++) {
    const ns = tables.hasPrior[s] ? candStart[s + 1] - candStart[s] : 0;
    quotaCaps[s] = ns;
    quotaWeights[s] = tables.salience[s] * ns;
    n += ns;
  }
  const rho = tables.aggAlpha > 0 && tables.aggBeta > 0 ? rng.beta(tables.aggAlpha, tables.aggBeta) : 0;
  const m = Math.floor(rho * n);

  // 2. quotas, then uniform picks within each label (partial Fisher–Yates on a scratch copy)
  allocateQuotas(m, quotaWeights, quotaCaps, quotas);
  const onPath = ws.onPath;
  onPath.fill(0, 0, code.n);
  let picks = 0;
  for (let s = 1; s < LABEL_SLOTS; s++) {
    const q = quotas[s];
    if (q === 0) continue;
    const lo = candStart[s];
    const ns = candStart[s + 1] - lo;
    if (scratch.length < ns) scratch = new Int32Array(Math.max(ns, scratch.length * 2));
    for (let i = 0; i < ns; i++) scratch[i] = candMembers[lo + i];
    for (let i = 0; i < q; i++) {
      const j = i + rng.int(ns - i);
      const t = scratch[i];
      scratch[i] = scratch[j];
      scratch[j] = t;
      onPath[scratch[i]] = 1;
    }
    picks += q;
  }
  const picked = ws.picked;
  for (let j = 0, p = 0; j < code.n; j++) if (onPath[j]) picked[p++] = j;

  // 3. greedy grouping in source order
  const g = groupPicked(picked, picks, labelIds, lines, tables, opts, ws);
  const { groupOf, groupSize, groupCount, groupFirst } = ws;
  return {
    rho,
    m,
    n,
    nPicked: picks,
    nGroups: g,
    picked: fresh ? picked.subarray(0, picks) : picked,
    onPath,
    groupOf,
    groupSize: fresh ? groupSize.subarray(0, g) : groupSize,
    groupCount: fresh ? groupCount.subarray(0, g) : groupCount,
    groupFirst: fresh ? groupFirst.subarray(0, g) : groupFirst,
  };
}
