/**
 * Trivial baselines of an experiment (docs/report.md): systems that need no model, scored with the
 * same metrics as the trained runs and stored in the results file beside them, so a report can say
 * whether a fine-tuned model beats doing nothing. They are computed here, where the runs are
 * evaluated; the report only reads the stored result.
 */
import { evaluate, type EvaluateOptions } from '../eval/index.ts';
import type { TaskName } from '../data/prompt.ts';
import { storeSamples, type ExampleRef, type TrivialResult } from '../report/types.ts';

/**
 * The copy-the-input trivial baseline: the prediction is the input code itself (for translation,
 * the Java source as the "C#"). Every metric of `evaluate` on `examples` (their order kept), stored
 * as the TrivialResult "copy-input"; `opts.regime` limits it to one regime (absent: every regime of
 * the task). Errors are evaluate's (an empty example list is an InputError).
 */
export async function copyInputBaseline(
  task: TaskName,
  examples: readonly (ExampleRef & { input: string; reference: string })[],
  opts: EvaluateOptions & { regime?: string } = {},
): Promise<TrivialResult> {
  const r = await evaluate(examples.map((e) => ({ prediction: e.input, reference: e.reference, input: e.input })), task, opts);
  return {
    name: 'copy-input',
    task,
    ...(opts.regime !== undefined ? { regime: opts.regime } : {}),
    examples: examples.map((e) => ({ id: e.id, inputLength: e.inputLength })),
    metrics: storeSamples(r.samples),
  };
}
