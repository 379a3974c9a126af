/**
 * The priors file format, `eyemulator-priors/1` (METHOD.md §3): per session mode, a Beta prior per
 * semantic label and the label 1-, 2- and 3-gram counts seen along scan paths.
 *
 * ```json
 * {"format": "eyemulator-priors/1", "provenance": {"source": "…"}, "minCount": 5,
 *  "ngramOrder": "sequence",
 *  "modes": {"combined": {"labels": {"loop": {"alpha": 3, "beta": 5, "fixated": 2, "shown": 6}},
 *                         "ngrams": {"1": {"loop": 9}, "2": {"loop|return": 7}, "3": {}}},
 *            "reading": {…}, "writing": {…}}}
 * ```
 * Labels are named as in METHOD.md §1 (`src/code/labels.ts`). A mode without data is omitted.
 * `ngramOrder` says how n-gram keys were formed, so that lookups form them the same way:
 * "sequence" = labels in visit order (what `priors distill` writes); "sorted" = the label tuple sorted
 * by name (what the EyeMulator artifact's counts are: every key is a sorted tuple).
 * Validation errors name the file and the field (`modes.reading.labels.loop.alpha`).
 */
import { z } from 'zod';
import { isLabelName } from '../code/labels.ts';
import { InputError } from '../util/errors.ts';

export const PRIORS_FORMAT = 'eyemulator-priors/1';

export const MODES = ['combined', 'reading', 'writing'] as const;
export type Mode = (typeof MODES)[number];

export const NGRAM_ORDERS = ['sequence', 'sorted'] as const;
export type NgramOrder = (typeof NGRAM_ORDERS)[number];

/** Separator of labels inside an n-gram key ("loop|return"); no label name contains it. */
export const NGRAM_SEP = '|';

const count = z.number().int().nonnegative();

export const LabelPriorSchema = z
  .object({
    alpha: z.number().positive().finite(),
    beta: z.number().positive().finite(),
    /** c_s: tokens of this label fixated at least once (evidence behind alpha/beta). */
    fixated: count,
    /** n_s: tokens of this label shown. */
    shown: count,
  })
  .strict()
  .refine((p) => p.fixated <= p.shown, { message: 'fixated must not exceed shown', path: ['fixated'] });

const labelKey = z.string().refine((s): boolean => isLabelName(s), { message: 'not a semantic label name (METHOD.md §1)' });

function ngramKeySchema(n: number) {
  return z.string().refine(
    (k) => {
      const parts = k.split(NGRAM_SEP);
      return parts.length === n && parts.every(isLabelName);
    },
    { message: `must be ${n} label name(s) joined by "${NGRAM_SEP}"` },
  );
}

export const ModePriorsSchema = z
  .object({
    labels: z.record(labelKey, LabelPriorSchema),
    ngrams: z
      .object({
        '1': z.record(ngramKeySchema(1), count),
        '2': z.record(ngramKeySchema(2), count),
        '3': z.record(ngramKeySchema(3), count),
      })
      .strict(),
  })
  .strict();

export const ProvenanceSchema = z.looseObject({
  /** What the numbers were computed from, in words. */
  source: z.string().min(1),
});

export const PriorsSchema = z
  .object({
    format: z.literal(PRIORS_FORMAT),
    provenance: ProvenanceSchema,
    minCount: count,
    ngramOrder: z.enum(NGRAM_ORDERS).default('sequence'),
    modes: z
      .object({ combined: ModePriorsSchema.optional(), reading: ModePriorsSchema.optional(), writing: ModePriorsSchema.optional() })
      .strict()
      .refine((m) => Object.values(m).some((v) => v !== undefined), { message: 'at least one mode is needed' }),
  })
  .strict()
  .superRefine((p, ctx) => {
    // Pruned files must really be pruned, and "sorted" keys really sorted: a hand-edited file that
    // breaks either would give lookups that disagree with what the file claims.
    for (const mode of MODES) {
      const mp = p.modes[mode];
      if (!mp) continue;
      for (const n of ['1', '2', '3'] as const) {
        for (const [key, c] of Object.entries(mp.ngrams[n])) {
          const path = ['modes', mode, 'ngrams', n, key];
          if (c < p.minCount) ctx.addIssue({ code: 'custom', path, message: `count ${c} is below the file's minCount ${p.minCount}` });
          if (p.ngramOrder === 'sorted' && key !== canonicalNgramKey(key.split(NGRAM_SEP), 'sorted')) {
            ctx.addIssue({ code: 'custom', path, message: 'key is not sorted although ngramOrder is "sorted"' });
          }
        }
      }
    }
  });

export type LabelPrior = z.infer<typeof LabelPriorSchema>;
export type ModePriors = z.infer<typeof ModePriorsSchema>;
export type Provenance = z.infer<typeof ProvenanceSchema>;
export type Priors = z.output<typeof PriorsSchema>;

/** The key of an n-gram under a file's ordering convention. */
export function canonicalNgramKey(labels: readonly string[], order: NgramOrder): string {
  const parts = order === 'sorted' ? [...labels].sort() : labels;
  return parts.join(NGRAM_SEP);
}

/** Renders a zod issue path as a dotted field name ("modes.reading.labels.loop.alpha"). */
export function fieldName(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') || '(top level)';
}

/** One zod issue as `field: message`, looking inside record-key issues for the real reason. */
export function formatIssue(issue: z.core.$ZodIssue): string {
  let message = issue.message;
  if (issue.code === 'invalid_key' && issue.issues.length > 0) message = `invalid key: ${issue.issues[0].message}`;
  return `${fieldName(issue.path)}: ${message}`;
}

/**
 * Validates a parsed JSON value as priors. Every problem is reported (not only the first), each
 * as `field: message`, in one InputError naming the file.
 */
export function parsePriors(value: unknown, file: string): Priors {
  const r = PriorsSchema.safeParse(value);
  if (r.success) return r.data;
  const lines = r.error.issues.slice(0, 20).map(formatIssue);
  const more = r.error.issues.length > 20 ? `\n  … and ${r.error.issues.length - 20} more` : '';
  throw new InputError(`invalid priors file (${PRIORS_FORMAT}):\n  ${lines.join('\n  ')}${more}`, { file });
}
