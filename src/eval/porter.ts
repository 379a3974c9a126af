/**
 * The Porter stemmer as originally published (M. F. Porter, "An algorithm for suffix stripping",
 * Program 14(3), 1980) — the mode rouge-score uses: `nltk.stem.porter.PorterStemmer(
 * 'ORIGINAL_ALGORITHM')` (rouge-score's `tokenizers.py`), so ROUGE-L with stemming reproduces
 * rouge-score's numbers.
 *
 * Why not the npm `stemmer` package (used by METEOR): it implements Martin Porter's later revision
 * (NLTK's MARTIN_EXTENSIONS), which replaces step 2's ABLI → ABLE by BLI → BLE and adds LOGI → LOG.
 * On the 2,119 distinct words of length > 3 in the shared summarisation references the two agree
 * except on "possibly" (original: "possibli", revised: "possibl"); "archaeology" is another
 * ("archaeologi" vs "archaeolog"). This implementation agrees with NLTK 3.10.3's ORIGINAL_ALGORITHM
 * on all 2,119 of those words and on 121 rule-by-rule examples (the paper's own, among others);
 * scripts/fixtures/metric_references.py prints the stems the tests use.
 *
 * Input: one lower-case word (the caller lower-cases; rouge-score stems only tokens longer than 3
 * characters). Rule lists follow the paper: within a step the rule with the longest matching
 * suffix is the only one tried; if its condition fails, the step leaves the word unchanged.
 */

/** Is word[i] a consonant (a, e, i, o, u are vowels; y is a vowel after a consonant)? */
function isConsonant(w: string, i: number): boolean {
  const c = w[i];
  if (c === 'a' || c === 'e' || c === 'i' || c === 'o' || c === 'u') return false;
  if (c === 'y') return i === 0 ? true : !isConsonant(w, i - 1);
  return true;
}

/** m in [C](VC)^m[V]. */
function measure(stem: string): number {
  let m = 0;
  let prevVowel = false;
  for (let i = 0; i < stem.length; i++) {
    const cons = isConsonant(stem, i);
    if (cons && prevVowel) m++;
    prevVowel = !cons;
  }
  return m;
}

function containsVowel(stem: string): boolean {
  for (let i = 0; i < stem.length; i++) if (!isConsonant(stem, i)) return true;
  return false;
}

/** *d: ends with a double consonant. */
function endsDoubleConsonant(w: string): boolean {
  const n = w.length;
  return n >= 2 && w[n - 1] === w[n - 2] && isConsonant(w, n - 1);
}

/** *o: ends consonant-vowel-consonant, the last not w, x or y. */
function endsCvc(w: string): boolean {
  const n = w.length;
  return n >= 3 && isConsonant(w, n - 3) && !isConsonant(w, n - 2) && isConsonant(w, n - 1) && !'wxy'.includes(w[n - 1]);
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

const STEP1A: Rule[] = [['sses', 'ss', null], ['ies', 'i', null], ['ss', 'ss', null], ['s', '', null]];

const STEP2: Rule[] = [
  ['ational', 'ate', m0], ['tional', 'tion', m0], ['enci', 'ence', m0], ['anci', 'ance', m0],
  ['izer', 'ize', m0], ['abli', 'able', m0], ['alli', 'al', m0], ['entli', 'ent', m0], ['eli', 'e', m0],
  ['ousli', 'ous', m0], ['ization', 'ize', m0], ['ation', 'ate', m0], ['ator', 'ate', m0],
  ['alism', 'al', m0], ['iveness', 'ive', m0], ['fulness', 'ful', m0], ['ousness', 'ous', m0],
  ['aliti', 'al', m0], ['iviti', 'ive', m0], ['biliti', 'ble', m0],
];

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

function step1b(w: string): string {
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
  if (measure(stem) === 1 && endsCvc(stem)) return stem + 'e';
  return stem;
}

function step5a(w: string): string {
  if (!w.endsWith('e')) return w;
  const stem = w.slice(0, -1);
  const m = measure(stem);
  if (m > 1 || (m === 1 && !endsCvc(stem))) return stem;
  return w;
}

function step5b(w: string): string {
  return w.endsWith('ll') && measure(w.slice(0, -1)) > 1 ? w.slice(0, -1) : w;
}

/** Porter (1980) stem of a lower-case word, as NLTK's PorterStemmer('ORIGINAL_ALGORITHM'). */
export function porterStemOriginal(word: string): string {
  let w = word;
  w = applyRules(w, STEP1A);
  w = step1b(w);
  w = applyRules(w, [['y', 'i', containsVowel]]);
  w = applyRules(w, STEP2);
  w = applyRules(w, STEP3);
  w = applyRules(w, STEP4);
  w = step5a(w);
  w = step5b(w);
  return w;
}
