/** `eyemulator demo [--quick]`: the main job on the embedded default (see src/demo/). */
import type { CommandModule } from 'yargs';
import { DEMO_DEFAULTS, runTranslationDemo } from '../../demo/translation-demo.ts';

const demo: CommandModule = {
  command: 'demo',
  describe: 'train a small Llama from scratch on CodeXGLUE Java→C# with gaze-derived weights; print the loss curve; save a HF checkpoint',
  builder: (y) =>
    y
      .option('quick', { type: 'boolean', default: false, describe: 'a short smoke run (60 steps)' })
      .option('steps', { type: 'number', describe: `optimizer steps (default ${DEMO_DEFAULTS.steps}; --quick: 60)` })
      .option('batch-size', { type: 'number', default: DEMO_DEFAULTS.batchSize })
      .option('seq-len', { type: 'number', default: DEMO_DEFAULTS.seqLen, describe: 'max byte tokens per prompt+target (longer pairs are left out and counted)' })
      .option('variant', { choices: ['full', 'baseline'], default: DEMO_DEFAULTS.variant, describe: 'gaze weights on target tokens (full) or all ones (baseline)' })
      .option('seed', { type: 'number', default: DEMO_DEFAULTS.seed })
      .option('lr', { type: 'number', default: DEMO_DEFAULTS.lr })
      .option('hidden', { type: 'number', default: DEMO_DEFAULTS.hidden })
      .option('layers', { type: 'number', default: DEMO_DEFAULTS.layers })
      .option('heads', { type: 'number', default: DEMO_DEFAULTS.heads })
      .option('threads', { type: 'number', describe: 'libtorch threads (default: all cores)' })
      .option('out', { type: 'string', default: 'runs/demo', describe: 'output folder' }),
  handler: async (a) => {
    const ac = new AbortController();
    const onInt = () => ac.abort(new Error('interrupted'));
    process.once('SIGINT', onInt);
    try {
      await runTranslationDemo({
        ...DEMO_DEFAULTS,
        out: a.out as string,
        steps: (a.steps as number | undefined) ?? (a.quick ? 60 : DEMO_DEFAULTS.steps),
        batchSize: a['batch-size'] as number,
        seqLen: a['seq-len'] as number,
        variant: a.variant as 'full' | 'baseline',
        seed: a.seed as number,
        lr: a.lr as number,
        hidden: a.hidden as number,
        layers: a.layers as number,
        heads: a.heads as number,
        threads: a.threads as number | undefined,
        validN: a.quick ? 32 : DEMO_DEFAULTS.validN,
        logEvery: a.quick ? 10 : DEMO_DEFAULTS.logEvery,
        signal: ac.signal,
      });
    } finally {
      process.off('SIGINT', onInt);
    }
  },
};
export default demo;
