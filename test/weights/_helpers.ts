/** Hand-built code tokens and priors for the weights tests (not a test file: no `.test.ts`). */
import { labelId, type LabelName } from '../../src/code/labels.ts';
import { PRIORS_FORMAT, type ModePriors, type Priors } from '../../src/priors/format.ts';
import type { WeightToken } from '../../src/weights/types.ts';

export interface HandToken extends WeightToken {
  text: string;
  label: LabelName | null;
}

/**
 * Tokens laid out as source text: each `[text, label, line, punct?]`, separated by a space, with
 * newlines inserted when the line number grows. Returns the tokens and the text.
 */
export function layout(spec: [string, LabelName | null, number, boolean?][]): { tokens: HandToken[]; code: string } {
  let code = '';
  let line = 1;
  const tokens: HandToken[] = [];
  for (const [text, label, l, punct] of spec) {
    while (line < l) {
      code += '\n';
      line++;
    }
    if (code.length > 0 && !code.endsWith('\n')) code += ' ';
    const startCp = Array.from(code).length;
    code += text;
    tokens.push({ text, label, labelId: label ? labelId(label) : 0, line: l, punct: !!punct, startCp, endCp: startCp + Array.from(text).length });
  }
  return { tokens, code };
}

/** A one-mode priors file from α/β per label and n-gram counts ("a|b" keys). */
export function modePriors(labels: Partial<Record<LabelName, [number, number]>>, ngrams: Partial<Record<'1' | '2' | '3', Record<string, number>>> = {}): ModePriors {
  const out: ModePriors = { labels: {}, ngrams: { '1': { ...ngrams['1'] }, '2': { ...ngrams['2'] }, '3': { ...ngrams['3'] } } };
  for (const [name, ab] of Object.entries(labels)) {
    if (!ab) continue;
    const [alpha, beta] = ab;
    out.labels[name] = { alpha, beta, fixated: alpha - 1, shown: alpha + beta - 2 };
  }
  return out;
}

export function priorsOf(modes: Priors['modes'], ngramOrder: Priors['ngramOrder'] = 'sequence', minCount = 0): Priors {
  return { format: PRIORS_FORMAT, provenance: { source: 'test' }, minCount, ngramOrder, modes };
}
