/**
 * `eyemulator demo [--quick] [--full-finetune] [--out DIR] [--fresh] [--parallel N]`: the main job on
 * the embedded default — the bundled experiment `experiments/demo.yaml` (or `demo-quick.yaml`): the
 * shipped pretrained base `models/demo-base` (its tokenizer shared by every cell) LoRA-fine-tuned on
 * CodeXGLUE Java→C# as baseline, full (gaze weights + preference term) and scale-matched, two seeds,
 * evaluated on the 499 valid pairs, with the report written and its table printed. A relative
 * `run.model` in the bundled YAML is resolved against the project root, so the demo runs from any
 * working folder. Rerunning the same command reuses finished cells (`--fresh` starts over).
 */
import { rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { CommandModule } from 'yargs';
import { loadExperiment, runExperiment } from '../../experiment/runner.ts';
import { reportText } from '../../report/index.ts';
import { packageRoot } from '../../util/paths.ts';
import { interruptSignal } from '../signals.ts';

const demo: CommandModule = {
  command: 'demo',
  describe: 'run the bundled experiment: plain vs gaze-weighted LoRA fine-tuning of a pretrained small code Llama on CodeXGLUE Java→C#, report with CIs',
  builder: (y) =>
    y
      .option('quick', { type: 'boolean', default: false, describe: 'the smoke-test size (one seed, 100 valid pairs, < 3 min)' })
      .option('full-finetune', { type: 'boolean', default: false, describe: 'train every weight of the base instead of LoRA adapters (loraRank 0)' })
      .option('out', { type: 'string', describe: 'experiment folder (default runs/demo or runs/demo-quick, with -full-ft for --full-finetune)' })
      .option('fresh', { type: 'boolean', default: false, describe: 'delete the folder first instead of reusing finished cells' })
      .option('parallel', { type: 'number', describe: 'cells at a time (default 2: one per core)' })
      .example('$0 demo --quick', 'the smoke-test size first (< 3 min), then `$0 demo` for the full comparison'),
  handler: async (a) => {
    const name = a.quick ? 'demo-quick' : 'demo';
    const configPath = join(packageRoot(), 'experiments', `${name}.yaml`);
    const out = (a.out as string | undefined) ?? join('runs', a.fullFinetune ? `${name}-full-ft` : name);
    if (a.fresh) rmSync(out, { recursive: true, force: true });
    const config = loadExperiment(configPath);
    if (typeof config.run.model === 'string' && !isAbsolute(config.run.model)) config.run.model = join(packageRoot(), config.run.model);
    if (a.fullFinetune) {
      config.run.loraRank = 0;
      config.title = config.title.replace('LoRA fine-tuning', 'full fine-tuning').replace('LoRA on', 'full fine-tuning of');
    }
    const log = (l: string) => process.stderr.write(l + '\n');
    log(`eyemulator demo: ${config.title}`);
    log(`config ${configPath}${a.fullFinetune ? ' (full fine-tuning)' : ''}; base ${String(config.run.model)} → ${out}`);
    const { signal, dispose } = interruptSignal('the demo (rerun to continue)');
    try {
      const r = await runExperiment(config, out, { log, signal, parallel: a.parallel as number | undefined });
      process.stdout.write('\n' + reportText(r.report.report) + '\n');
      process.stdout.write(`\n${r.ran.length} cells run, ${r.skipped.length} reused, ${r.seconds.toFixed(0)} s. Report: ${join(out, 'report', 'report.md')} and report.html; per-cell runs in ${join(out, 'cells')}.\n`);
      process.stdout.write('Priors: EyeTrans (Zhang et al., FSE 2024) as distributed with EyeMulator (Zhang et al., ACL 2026), CC-BY-4.0. Data: CodeXGLUE code-to-code translation (Lu et al., 2021), C-UDA/CC0; the base models/demo-base was pretrained on its train split (model card: models/demo-base/README.md).\n');
    } finally {
      dispose();
    }
  },
};
export default demo;
