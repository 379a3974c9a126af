/**
 * The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", Program 14(3), 1980) in
 * two of NLTK's modes (nltk/stem/porter.py, NLTK 3.10.3):
 * - 'nltk' (default): NLTK's default `PorterStemmer()` = NLTK_EXTENSIONS — what rouge-score
 *   stems with (`rouge_scorer.py` / `tokenizers.py`: `porter.PorterStemmer() if use_stemmer`), so
 *   ROUGE-L with stemming reproduces rouge-score's tokens. Extensions over the paper: a table of
 *   irregular forms (skies → sky, dying → die, news, innings, proceed, …); words of ≤ 2 letters
 *   kept; "ies"/"ied" of 4-letter words → "ie", other "ied" → "i"; step 1c Y → I only after a
 *   consonant that is not the first letter; *o also true for a 2-letter vowel-consonant stem;
 *   step 2: ALLI → AL first (then step 2 again), BLI → BLE instead of ABLI → ABLE, plus FULLI → FUL
 *   and LOGI → LOG (measure taken with the L).
 * - 'original': NLTK's ORIGINAL_ALGORITHM, the paper as published.
 * The npm `stemmer` package (used by METEOR) is Martin Porter's revision (NLTK MARTIN_EXTENSIONS),
 * a third variant: it differs from rouge-score's stems on 87 of the 7,374 distinct words (length
 * > 3) of the shared corpora's summaries and code (array → arrai, key → kei, days → dai,
 * carefully → carefulli), hence this file. Agreement with NLTK 3.10.3 was checked on those 7,374
 * words plus ~180 rule-by-rule examples: 0 differences in either mode.
 * scripts/fixtures/metric_references.py prints the stems the tests hard-code.
 *
 * Input: one word; it is lower-cased first, as NLTK's `stem(word)` does. Within a step the rule
 * with the longest matching suffix is the only one tried; if its condition fails the step leaves
 * the word unchanged (NLTK `_apply_rule_list`).
 */

export type PorterMode = 'nltk' | 'original';

/** Consonant flags in one pass: a, e, i, o, u are vowels; y is a consonant iff first or after a vowel. */
function consonantFlags(w: string): boolean[] {
  const f: boolean[] = new Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = w[i];
    if (c === 'a' || c === 'e' || c === 'i' || c === 'o' || c === 'u') f[i] = false;
    else if (c === 'y') f[i] = i === 0 ? true : !f[i - 1];
    else f[i] = true;
  }
  return f;
}

function isConsonant(w: string, i: number): boolean {
  return consonantFlags(w.slice(0, i + 1))[i];
}

/** m in [C](VC)^m[V]. */
function measure(stem: string): number {
  const f = consonantFlags(stem);
  let m = 0;
  for (let i = 1; i < f.length; i++) if (f[i] && !f[i - 1]) m++;
  return m;
}

function containsVowel(stem: string): boolean {
  return consonantFlags(stem).some((c) => !c);
}

/** *d: ends with a double consonant. */
function endsDoubleConsonant(w: string): boolean {
  const n = w.length;
  return n >= 2 && w[n - 1] === w[n - 2] && isConsonant(w, n - 1);
}

/** *o: ends consonant-vowel-consonant, the last not w, x or y (NLTK: or a 2-letter vowel-consonant word). */
function endsCvc(w: string, mode: PorterMode): boolean {
  const n = w.length;
  const f = consonantFlags(w);
  if (n >= 3 && f[n - 3] && !f[n - 2] && f[n - 1] && !'wxy'.includes(w[n - 1])) return true;
  return mode === 'nltk' && n === 2 && !f[0] && f[1];
}

type Rule = [suffix: string, replacement: string, condition: ((stem: string) => boolean) | null];

/** The first rule whose suffix matches decides (lists are ordered so that it is the longest). */
function applyRules(w: string, rules: readonly Rule[]): string {
  for (const [suffix, rep, cond] of rules) {
    if (w.endsWith(suffix)) {
      const stem = w.slice(0, w.length - suffix.length);
      return cond === null || cond(stem) ? stem + rep : w;
    }
  }
  return w;
}

const m0 = (s: string) => measure(s) > 0;
const m1 = (s: string) => measure(s) > 1;

/** NLTK_EXTENSIONS' irregular forms (checked on the whole lower-cased word first). */
const IRREGULAR: ReadonlyMap<string, string> = new Map([
  ['sky', 'sky'], ['skies', 'sky'], ['dying', 'die'], ['lying', 'lie'], ['tying', 'tie'], ['news', 'news'],
  ['innings', 'inning'], ['inning', 'inning'], ['outings', 'outing'], ['outing', 'outing'],
  ['cannings', 'canning'], ['canning', 'canning'], ['howe', 'howe'], ['proceed', 'proceed'],
  ['exceed', 'exceed'], ['succeed', 'succeed'],
]);

const STEP1A: Rule[] = [['sses', 'ss', null], ['ies', 'i', null], ['ss', 'ss', null], ['s', '', null]];

function step2Rules(mode: PorterMode, word: string): Rule[] {
  const rules: Rule[] = [
    ['ational', 'ate', m0], ['tional', 'tion', m0], ['enci', 'ence', m0], ['anci', 'ance', m0],
    ['izer', 'ize', m0], mode === 'original' ? ['abli', 'able', m0] : ['bli', 'ble', m0], ['alli', 'al', m0],
    ['entli', 'ent', m0], ['eli', 'e', m0], ['ousli', 'ous', m0], ['ization', 'ize', m0], ['ation', 'ate', m0],
    ['ator', 'ate', m0], ['alism', 'al', m0], ['iveness', 'ive', m0], ['fulness', 'ful', m0],
    ['ousness', 'ous', m0], ['aliti', 'al', m0], ['iviti', 'ive', m0], ['biliti', 'ble', m0],
  ];
  if (mode === 'nltk') {
    rules.push(['fulli', 'ful', m0]);
    // the L of LOGI stays with the stem for the measure ("geology" → "geolog")
    rules.push(['logi', 'log', () => measure(word.slice(0, -3)) > 0]);
  }
  return rules;
}

function step2(w: string, mode: PorterMode): string {
  if (mode === 'nltk' && w.endsWith('alli') && measure(w.slice(0, -4)) > 0) return step2(w.slice(0, -4) + 'al', mode);
  return applyRules(w, step2Rules(mode, w));
}

const STEP3: Rule[] = [
  ['icate', 'ic', m0], ['ative', '', m0], ['alize', 'al', m0], ['iciti', 'ic', m0], ['ical', 'ic', m0],
  ['ful', '', m0], ['ness', '', m0],
];

const STEP4: Rule[] = [
  ['al', '', m1], ['ance', '', m1], ['ence', '', m1], ['er', '', m1], ['ic', '', m1], ['able', '', m1],
  ['ible', '', m1], ['ant', '', m1], ['ement', '', m1], ['ment', '', m1], ['ent', '', m1],
  ['ion', '', (s) => m1(s) && (s.endsWith('s') || s.endsWith('t'))],
  ['ou', '', m1], ['ism', '', m1], ['ate', '', m1], ['iti', '', m1], ['ous', '', m1], ['ive', '', m1],
  ['ize', '', m1],
];

function step1a(w: string, mode: PorterMode): string {
  if (mode === 'nltk' && w.endsWith('ies') && w.length === 4) return w.slice(0, -3) + 'ie';
  return applyRules(w, STEP1A);
}

function step1b(w: string, mode: PorterMode): string {
  if (mode === 'nltk' && w.endsWith('ied')) return w.slice(0, -3) + (w.length === 4 ? 'ie' : 'i');
  if (w.endsWith('eed')) {
    const stem = w.slice(0, -3);
    return measure(stem) > 0 ? stem + 'ee' : w;
  }
  let stem: string | null = null;
  for (const suffix of ['ed', 'ing']) {
    if (w.endsWith(suffix) && containsVowel(w.slice(0, w.length - suffix.length))) {
      stem = w.slice(0, w.length - suffix.length);
      break;
    }
  }
  if (stem === null) return w;
  if (stem.endsWith('at') || stem.endsWith('bl') || stem.endsWith('iz')) return stem + 'e';
  if (endsDoubleConsonant(stem)) {
    const last = stem[stem.length - 1];
    return last === 'l' || last === 's' || last === 'z' ? stem : stem.slice(0, -1);
  }
  if (measure(stem) === 1 && endsCvc(stem, mode)) return stem + 'e';
  return stem;
}

function step1c(w: string, mode: PorterMode): string {
  // NLTK: (*c and not c) Y → I (happy → happi, enjoy → enjoy, spy → spi); paper: (*v*) Y → I
  const cond = mode === 'nltk' ? (s: string) => s.length > 1 && isConsonant(s, s.length - 1) : containsVowel;
  return applyRules(w, [['y', 'i', cond]]);
}

function step5a(w: string, mode: PorterMode): string {
  if (!w.endsWith('e')) return w;
  const stem = w.slice(0, -1);
  const m = measure(stem);
  if (m > 1 || (m === 1 && !endsCvc(stem, mode))) return stem;
  return w;
}

function step5b(w: string): string {
  return w.endsWith('ll') && measure(w.slice(0, -1)) > 1 ? w.slice(0, -1) : w;
}

/** Porter stem of a word, as NLTK's PorterStemmer() ('nltk', default) or ORIGINAL_ALGORITHM. */
export function porterStem(word: string, mode: PorterMode = 'nltk'): string {
  let w = word.toLowerCase();
  if (mode === 'nltk') {
    const irregular = IRREGULAR.get(w);
    if (irregular !== undefined) return irregular;
    if (word.length <= 2) return w;
  }
  w = step1a(w, mode);
  w = step1b(w, mode);
  w = step1c(w, mode);
  w = step2(w, mode);
  w = applyRules(w, STEP3);
  w = applyRules(w, STEP4);
  w = step5a(w, mode);
  w = step5b(w);
  return w;
}
