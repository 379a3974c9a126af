/**
 * `eyemulator train [--config RUN.yaml] --task T --model DIR | (--init-hidden … --tokenizer F)
 *  --variant V [--priors P] [--lora-rank R] [--epochs E] [--seed S] … --out RUN [--resume] [--evaluate]`
 *
 * Flags override the config file; the resolved config is written to RUN/config.json. The work is
 * in src/train/run.ts (training) and src/experiment/evaluate-run.ts (--evaluate).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { trainRun } from '../../train/run.ts';
import { readTrainSummary } from '../../train/run-dir.ts';
import { parseRunConfig, readConfigFile, type RunConfig } from '../../train/config.ts';
import { autoProgress, lineProgress, silentProgress } from '../../train/progress.ts';
import { evaluateRun } from '../../experiment/evaluate-run.ts';
import { interruptSignal } from '../signals.ts';
import { InterruptedError } from '../../util/errors.ts';
import { readJsonFile } from '../../util/json.ts';
import { VARIANTS } from '../../weights/variants.ts';
import { TASK_NAMES } from '../../data/tasks.ts';
import { LR_SCHEDULES, TRAINER_DEFAULTS } from '../../train/defaults.ts';
import { distributedFromEnv, launchLocal } from '../../distributed/index.ts';

/**
 * CLI flag → RunConfig key (kebab-case flags, camelCase keys). `choices` (from the one definition of
 * each list) makes yargs refuse other values and list the valid ones in --help.
 */
const FLAGS: Array<[flag: string, key: keyof RunConfig, type: 'string' | 'number' | 'boolean', describe: string, choices?: readonly string[]]> = [
  ['task', 'task', 'string', 'task whose data and prompt template the run trains on', TASK_NAMES],
  ['train', 'train', 'string', 'training data: "default", a .jsonl task file, or a CodeXGLUE folder'],
  ['valid', 'valid', 'string', 'validation data (same forms), decoded by --evaluate'],
  ['model', 'model', 'string', 'HF model folder to fine-tune'],
  ['tokenizer', 'tokenizer', 'string', 'tokenizer.json (for --init-*; overrides the model folder\'s)'],
  ['dtype', 'dtype', 'string', 'auto (the checkpoint\'s; default) | float32 | bfloat16'],
  ['gradient-checkpointing', 'gradientCheckpointing', 'boolean', 'recompute each layer\'s activations in the backward pass (less memory)'],
  ['device', 'device', 'string', 'cpu | cuda | cuda:N'],
  ['lora-rank', 'loraRank', 'number', 'LoRA rank (0 = full fine-tuning)'],
  ['lora-alpha', 'loraAlpha', 'number', 'LoRA alpha (default 2 × rank)'],
  ['lora-dropout', 'loraDropout', 'number', 'dropout on the adapter input'],
  ['variant', 'variant', 'string', 'weighting of the code tokens (baseline: all 1)', VARIANTS],
  ['priors', 'priors', 'string', 'priors file (default: the shipped EyeTrans priors)'],
  ['w-base', 'wBase', 'number', 'w_base of the weight formula (paper 1.0, artifact 3.0)'],
  ['gamma', 'gamma', 'number', `weight of the token-level preference term (0 = weighted SFT only; default ${TRAINER_DEFAULTS.gamma}, 0 for the baseline)`],
  ['beta', 'beta', 'number', `preference temperature (default ${TRAINER_DEFAULTS.beta})`],
  ['paths', 'paths', 'string', 'dynamic (redrawn each epoch) | static'],
  ['loss-on', 'lossOn', 'string', 'output | input+output (shared by every variant)'],
  ['epochs', 'epochs', 'number', 'passes over the training data'],
  ['max-steps', 'maxSteps', 'number', 'optimizer steps (the budget; overrides epochs)'],
  ['batch-size', 'batchSize', 'number', 'sequences per micro-batch'],
  ['grad-accum', 'gradAccum', 'number', 'micro-batches per optimizer step'],
  ['lr', 'lr', 'number', `peak learning rate (default ${TRAINER_DEFAULTS.lr})`],
  ['warmup-steps', 'warmupSteps', 'number', `linear warm-up steps (default ${100 * TRAINER_DEFAULTS.warmupRatio}% of the steps)`],
  ['schedule', 'schedule', 'string', `learning-rate decay after the warm-up (default ${TRAINER_DEFAULTS.schedule}, down to ${TRAINER_DEFAULTS.minLrRatio} × lr)`, LR_SCHEDULES],
  ['weight-decay', 'weightDecay', 'number', `AdamW decoupled weight decay (default ${TRAINER_DEFAULTS.weightDecay})`],
  ['max-grad-norm', 'maxGradNorm', 'number', `global gradient-norm clip (0 = off; default ${TRAINER_DEFAULTS.maxGradNorm})`],
  ['max-length', 'maxLength', 'number', 'longest training sequence; input code is cut to fit, targets never'],
  ['train-n', 'trainN', 'number', 'low-data regime: train on n examples drawn by --subset-seed'],
  ['subset-seed', 'subsetSeed', 'number', 'seed of the training subset'],
  ['seed', 'seed', 'number', 'seed of initialisation, data order, paths and weights'],
  ['threads', 'threads', 'number', 'libtorch threads'],
  ['log-every', 'logEvery', 'number', 'progress line every N steps (when not on a terminal)'],
  ['eval-n', 'evalN', 'number', '--evaluate: first N validation examples (default all)'],
  ['max-new-tokens', 'maxNewTokens', 'number', '--evaluate: decoding length limit'],
  ['eval-batch-size', 'evalBatchSize', 'number', '--evaluate: prompts decoded together'],
  ['attention-n', 'attentionN', 'number', '--evaluate: attention diagnostics on the first N examples'],
];

const train: CommandModule = {
  command: 'train',
  describe: 'fine-tune a model with gaze-derived weights (or a baseline) into a run folder',
  builder: (y) => {
    let b = y
      .option('config', { type: 'string', describe: 'run config (YAML or JSON); flags override it' })
      .option('out', { type: 'string', demandOption: true, describe: 'run folder' })
      .option('resume', { type: 'boolean', default: false, describe: 'continue the run in --out from its saved state' })
      .option('evaluate', { type: 'boolean', default: false, describe: 'after training, decode the validation data and score it (predictions.jsonl, eval.json, result.json)' })
      .option('progress', { choices: ['auto', 'lines', 'none'] as const, default: 'auto' as const, describe: 'progress bar (terminal), lines, or nothing' })
      .option('init-hidden', { type: 'number', describe: 'create a model from scratch: hidden size' })
      .option('init-layers', { type: 'number', describe: 'create a model from scratch: layers' })
      .option('init-heads', { type: 'number', describe: 'create a model from scratch: attention heads' })
      .option('init-max-positions', { type: 'number', describe: 'create a model from scratch: context length' })
      .option('nproc', { type: 'number', describe: 'data-parallel: N local processes, cores split between them (docs/cluster.md); torchrun-style launchers set WORLD_SIZE/RANK instead' })
      .option('dist-timeout', { type: 'number', describe: 'data-parallel: rendezvous and collective timeout in seconds (default 300)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the run summary (and the evaluation summary with --evaluate) as JSON on stdout' })
      .example('$0 train --task translation --variant full --model base --lora-rank 16 --out runs/full --evaluate', 'LoRA fine-tuning with gaze weights, then scoring');
    for (const [flag, , type, describe, choices] of FLAGS) b = b.option(flag, choices ? { type, describe, choices } : { type, describe });
    return b;
  },
  handler: async (a) => {
    const cfg: Record<string, unknown> = a.config ? readConfigFile(a.config as string) : {};
    for (const [flag, key] of FLAGS) if (a[flag] !== undefined) cfg[key] = a[flag];
    if (a['init-hidden'] !== undefined || a['init-layers'] !== undefined || a['init-heads'] !== undefined) {
      const init = { ...((cfg.init as Record<string, unknown>) ?? {}) };
      if (a['init-hidden'] !== undefined) init.hidden = a['init-hidden'];
      if (a['init-layers'] !== undefined) init.layers = a['init-layers'];
      if (a['init-heads'] !== undefined) init.heads = a['init-heads'];
      if (a['init-max-positions'] !== undefined) init.maxPositions = a['init-max-positions'];
      cfg.init = init;
    }
    const out = a.out as string;
    // `train --out RUN --resume` needs nothing else: the run's saved configuration is the base, and
    // flags given again must agree with it (trainRun names any field that differs).
    const saved = join(out, 'config.json');
    const base = a.resume && existsSync(saved) ? readJsonFile<Record<string, unknown>>(saved) : {};
    const config = parseRunConfig({ ...base, ...cfg }, (a.config as string | undefined) ?? (a.resume && existsSync(saved) ? `${saved} + command line` : 'command line'));
    const log = (l: string) => process.stderr.write(l + '\n');
    const mode = a.progress as 'auto' | 'lines' | 'none';
    const progress = mode === 'none' ? silentProgress : mode === 'lines' ? lineProgress(log, config.logEvery) : autoProgress(log, config.logEvery);
    const { signal, dispose } = interruptSignal('training');
    try {
      // Data-parallel: --nproc N launches N local ranks; WORLD_SIZE/RANK in the environment (torchrun,
      // Slurm, Kubernetes) make this process one rank. Either way src/distributed does the work.
      const env = a.nproc === undefined ? distributedFromEnv() : null;
      if (env && a['dist-timeout'] !== undefined) env.timeoutSeconds = a['dist-timeout'] as number;
      const quiet = env !== null && env.rank !== 0;
      const s = a.nproc !== undefined
        ? (await launchLocal(config, out, { nproc: a.nproc as number, resume: a.resume as boolean, timeoutSeconds: a['dist-timeout'] as number | undefined, signal, log }), readTrainSummary(out)!)
        : await trainRun(config, out, { resume: a.resume as boolean, signal, log: quiet ? () => {} : log, progress: quiet ? silentProgress : progress, distributed: env ?? undefined });
      if (quiet) return;  // rank 0 reports and evaluates
      const resumed = s.resumedFromStep > 0 ? ` (${s.steps - s.resumedFromStep} in this process, resumed after step ${s.resumedFromStep})` : '';
      const tailN = Math.max(1, Math.round(s.steps / 10));
      log(`trained ${s.steps} steps${resumed} in ${s.seconds.toFixed(0)} s of training; final loss ${s.finalLoss.toFixed(4)} (mean of the last ${tailN} step${tailN === 1 ? '' : 's'}); ${s.adapterDir ? `adapter ${s.adapterDir} over ${s.modelDir}` : `model ${s.modelDir}`}`);
      let evaluation: unknown = null;
      if (a.evaluate) {
        let last = 0;
        const { summary } = await evaluateRun(out, {
          log, signal,
          onProgress: (d, t) => { if (d === t || d - last >= Math.max(16, t / 10)) { last = d; log(`decoded ${d}/${t}`); } },
        });
        const f = (x: number | null) => (x === null ? '—' : x.toFixed(2));
        log(`eval n ${summary.n}: exact ${f(summary.exact)}  BLEU ${f(summary.bleu)}  CodeBLEU ${f(summary.codebleu)}  chrF++ ${f(summary.chrf)}  ROUGE-L ${f(summary.rougeL)}  (${summary.seconds.toFixed(0)} s)`);
        evaluation = summary;
      }
      if (a.json) process.stdout.write(JSON.stringify({ train: s, eval: evaluation }) + '\n');
    } catch (e) {
      if ((e as Error)?.name === 'AbortError') throw new InterruptedError('interrupted during evaluation; rerun with --resume --evaluate to decode again (training is finished)');
      throw e;
    } finally {
      dispose();
    }
  },
};
export default train;
