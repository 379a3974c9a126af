/**
 * `eyemulator demo [--quick] [--out DIR] [--fresh]`: the main job on the embedded default — the
 * bundled experiment `experiments/demo.yaml` (or `demo-quick.yaml`): a BPE tokenizer and a small
 * Llama made here, trained on CodeXGLUE Java→C# as baseline and with gaze weights (full), two
 * seeds, evaluated on the 499 valid pairs, with the report written and its table printed.
 * Rerunning the same command reuses finished cells (`--fresh` starts over).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { loadExperiment, runExperiment } from '../../experiment/runner.ts';
import { reportText } from '../../report/index.ts';
import { repoRoot } from '../../util/paths.ts';
import { interruptSignal } from '../signals.ts';

const demo: CommandModule = {
  command: 'demo',
  describe: 'run the bundled experiment: baseline vs gaze-weighted fine-tuning of a small Llama on CodeXGLUE Java→C#, report with CIs',
  builder: (y) =>
    y
      .option('quick', { type: 'boolean', default: false, describe: 'the smoke-test size (one seed, 100 valid pairs, < 3 min)' })
      .option('out', { type: 'string', describe: 'experiment folder (default runs/demo or runs/demo-quick)' })
      .option('fresh', { type: 'boolean', default: false, describe: 'delete the folder first instead of reusing finished cells' })
      .option('parallel', { type: 'number', describe: 'cells at a time (default 2: one per core)' }),
  handler: async (a) => {
    const name = a.quick ? 'demo-quick' : 'demo';
    const configPath = join(repoRoot(), 'experiments', `${name}.yaml`);
    const out = (a.out as string | undefined) ?? join('runs', name);
    if (a.fresh) rmSync(out, { recursive: true, force: true });
    const config = loadExperiment(configPath);
    const log = (l: string) => process.stderr.write(l + '\n');
    log(`eyemulator demo: ${config.title}`);
    log(`config ${configPath} → ${out}`);
    const { signal, dispose } = interruptSignal('the demo (rerun to continue)');
    try {
      const r = await runExperiment(config, out, { log, signal, parallel: a.parallel as number | undefined });
      process.stdout.write('\n' + reportText(r.report.report) + '\n');
      process.stdout.write(`\n${r.ran.length} cells run, ${r.skipped.length} reused, ${r.seconds.toFixed(0)} s. Report: ${join(out, 'report', 'report.md')} and report.html; per-cell runs in ${join(out, 'cells')}.\n`);
      process.stdout.write('Priors: EyeTrans (Zhang et al., FSE 2024) as distributed with EyeMulator (Zhang et al., ACL 2026), CC-BY-4.0. Data: CodeXGLUE code-to-code translation (Lu et al., 2021).\n');
    } finally {
      dispose();
    }
  },
};
export default demo;
