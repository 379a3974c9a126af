/**
 * One training run into a run folder:
 *
 *   RUN/config.json        the resolved RunConfig (config.ts)
 *   RUN/provenance.json    git revision, data and priors sha256, seed, engine/Node versions, argv
 *   RUN/data.json          training examples used, truncation report, steps per epoch
 *   RUN/metrics.jsonl      one line per optimizer step ({"type":"step",…}) and per epoch ({"type":"epoch",…})
 *   RUN/init/              a model created from scratch (config `init`): config.json, weights, tokenizer
 *   RUN/state/trainer.safetensors   what resuming needs (weights being trained, AdamW moments,
 *                          step, dropout RNG) + the data position; written at every epoch end and
 *                          on interruption
 *   RUN/checkpoints/epoch-N/        the adapter (PEFT) or the model (HF folder) after epoch N
 *   RUN/final/             the same after the last step
 *   RUN/train-done.json    written last: the run is complete
 *   RUN/result.json        after evaluation (src/experiment/evaluate-run.ts)
 *
 * The records of this folder (metrics.jsonl, train-done.json, result.json) are read and written
 * through run-dir.ts.
 *
 * Data order is a function of (seed, epoch) only (src/data/bucketing.ts) and weight draws of
 * (seed, example id, epoch), so a resumed run continues exactly where it stopped, and every
 * variant with the same seed sees the same batches. Each optimizer step's global batch
 * (batchSize × gradAccum examples) is formed first and then cut into gradAccum micro-batches, so
 * batchSize 4 × gradAccum 2 trains on the same examples per step as batchSize 8 × gradAccum 1.
 *
 * Data-parallel (`distributed`, src/distributed): every rank runs this with its RANK; the global
 * batch becomes batchSize × gradAccum × worldSize, each rank takes its slice (bucketing.ts), the
 * engine makes the loss and the gradients global, and rank 0 alone writes the run folder (config,
 * provenance, data.json, metrics, state, checkpoints, final, train-done). A state records the
 * world size it was saved with; resuming with another one is refused.
 */
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { checkDistributed, rankDevice, type DistributedOptions } from '../distributed/options.ts';
import { readSafetensorsHeader } from '../model/safetensors-header.ts';
import { Model } from '../model/model.ts';
import { unappliedDropout, type HfConfig } from '../model/config.ts';
import { assertTokenizerFitsModel, loadModelTokenizer, tokenizerFileVocabSize, tokenizerSpecialIds, type ModelTokenizer } from '../model/tokenizer.ts';
import { GENERATION_CONFIG_FILE, makeGenerationConfig } from '../model/generation-config.ts';
import { Trainer } from './trainer.ts';
import { parseRunConfig, runTrainerOptions, type RunConfig } from './config.ts';
import { formatParseIssueReport, prepareTrainExamples, rowFor, type ParseIssueReport, type TrainExample } from './examples.ts';
import { collectProvenance } from './provenance.ts';
import { readStepRecords, readTrainSummary, truncateMetrics, writeTrainSummary, type StepRecord, type TrainRunSummary } from './run-dir.ts';
import { silentProgress, type ProgressSink } from './progress.ts';
import { collateRows } from '../data/causal-example.ts';
import type { NativeBatch } from '../native/index.ts';
import { AbortError } from '../native/errors.ts';
import { epochBatches, globalBatchSize, microBatches, type StepSplit } from '../data/bucketing.ts';
import { drawSubset } from '../data/subset.ts';
import { loadTask, type TaskData } from '../data/tasks.ts';
import { resolveTaskSource, describeSource } from '../data/source.ts';
import { formatTruncationReport, type TruncationReport } from '../data/truncation.ts';
import { defaultPriorsPath, loadPriors } from '../priors/index.ts';
import { buildWeightModel, type WeightModel } from '../weights/index.ts';
import { InputError, InterruptedError, OptionError } from '../util/errors.ts';
import { readJsonFile, writeJsonAtomic } from '../util/json.ts';
import { cleanTempLeftovers, copyFileAtomic, ensureDir, writeDirAtomic, writeTextAtomic } from '../util/atomic-write.ts';

export const PACKAGE_VERSION = '0.1.0';

/** State metadata `batching`: the saved `batch` counts global batches (steps) of its epoch. */
const BATCHING = 'global-batches/1';

export interface TrainRunOptions {
  /** Continue a run folder that holds a saved state (otherwise a non-empty run folder is an error). */
  resume?: boolean;
  signal?: AbortSignal;
  /** Informational lines (default: stderr). */
  log?: (line: string) => void;
  progress?: ProgressSink;
  /** Sees every optimizer step's micro-batches before the step (for audits and tests). */
  onBatch?: (step: number, epoch: number, micro: readonly NativeBatch[], exampleIds: readonly string[]) => void;
  /**
   * Data-parallel training: this process is rank `rank` of `worldSize` (distributedFromEnv() reads
   * torchrun's variables). Every rank calls trainRun with the same config and run folder; rank 0
   * alone writes it. Absent: one process.
   */
  distributed?: DistributedOptions;
}

/** Options that may change between a run and its resumption (they do not change the numbers). */
const RESUME_FREE: readonly (keyof RunConfig)[] = ['threads', 'logEvery', 'evalN', 'maxNewTokens', 'evalBatchSize', 'attentionN', 'device'];

function stableConfig(c: RunConfig): string {
  const o: Record<string, unknown> = { ...c };
  for (const k of RESUME_FREE) delete o[k];
  return JSON.stringify(o, Object.keys(o).sort());
}

/** The fields (outside RESUME_FREE) whose values differ between two run configs, for messages. */
function changedFields(a: RunConfig, b: RunConfig): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof RunConfig)[]);
  return [...keys].filter((k) => !RESUME_FREE.includes(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

export interface LoadedRunData {
  task: TaskData;
  examples: TrainExample[];
  truncation: TruncationReport;
  /** Examples whose code did not parse (their unparsed regions carry no path weights). */
  parseIssues: ParseIssueReport;
}

/** Training examples of a run: task file → subset (low-data regime) → fitted, tokenised, labelled. */
export async function loadRunData(c: RunConfig, tok: ModelTokenizer, weightModel: WeightModel | null, log: (l: string) => void = () => {}): Promise<LoadedRunData> {
  const source = resolveTaskSource(c.task, c.train, 'train');
  const task = await loadTask(source);
  let pool = task.examples;
  if (c.trainN !== undefined) {
    if (c.trainN > pool.length) throw new OptionError(`trainN ${c.trainN} is larger than the ${pool.length} training examples in ${describeSource(source)}`);
    pool = drawSubset(pool, c.trainN, c.subsetSeed);
  }
  // BOS and EOS exactly as the model's tokenizer adds them (src/model/tokenizer.ts, one rule).
  const eos = tok.eosId;
  if (eos === null) throw new InputError('the model has no EOS token id (tokenizer_config.json eos_token, config.json or generation_config.json eos_token_id): the target EOS is supervised in every method', { file: c.model ?? c.tokenizer });
  const { examples, truncation, parseIssues } = await prepareTrainExamples(tok.tokenizer as never, pool, {
    task: c.task,
    maxLength: c.maxLength,
    lossOn: c.lossOn,
    special: { bos: tok.bosId, eos },
    label: weightModel !== null && weightModel.spec.mode !== null,
    onProgress: (d, t) => { if (t >= 2000 && (d % 5000 === 0 || d === t)) log(`prepared ${d}/${t} training examples`); },
  });
  if (examples.length === 0) throw new InputError(`no training example fits maxLength ${c.maxLength} (${formatTruncationReport(truncation)})`, { file: describeSource(source) });
  const unparsed = formatParseIssueReport(parseIssues);
  if (unparsed) log(unparsed);
  return { task, examples, truncation, parseIssues };
}

/** The model a run starts from: created in RUN/init (from scratch, seeded) or loaded from `model`. */
/**
 * The model a run starts from. `baseName` is what adapters record as base_model_name_or_path: the
 * `model` as the user gave it (an HF id or a path as typed — PEFT resolves it on the user's side, so
 * an absolute path of this machine would be wrong elsewhere), or RUN/init for a model made here.
 */
async function startModel(c: RunConfig, runDir: string, threads?: number, privateInit?: string): Promise<{ model: Model; baseDir: string; baseName: string }> {
  if (c.model) {
    const dir = resolve(c.model);
    if (!existsSync(join(dir, 'config.json'))) throw new InputError('no config.json: give an HF model folder', { file: dir });
    return { model: await Model.load(dir, { dtype: c.dtype, threads, device: c.device }), baseDir: dir, baseName: c.model };
  }
  const initDir = join(runDir, 'init');
  const initDtype = c.dtype === 'auto' ? 'float32' : c.dtype;
  if (!privateInit && existsSync(join(initDir, 'model.safetensors'))) return { model: await Model.load(initDir, { dtype: initDtype, threads, device: c.device }), baseDir: initDir, baseName: initDir };
  const tokPath = resolve(c.tokenizer!);
  if (!existsSync(tokPath)) throw new InputError('no such tokenizer.json', { file: tokPath });
  // Through the tokenizers library (ids as it numbers them, sparse vocabularies refused), not the raw JSON.
  const vocab = tokenizerFileVocabSize(tokPath);
  const special = tokenizerSpecialIds(tokPath);
  const init = c.init!;
  // A rank other than 0 of a new run creates the same seeded model in a folder of its own (rank 0
  // is writing RUN/init meanwhile); the engine then copies rank 0's weights to it anyway.
  const model = await Model.create(
    privateInit ?? initDir,
    {
      arch: init.arch, vocabSize: vocab, hiddenSize: init.hidden, layers: init.layers, heads: init.heads, kvHeads: init.kvHeads,
      intermediateSize: init.intermediate, maxPositions: init.maxPositions, tieEmbeddings: init.tieEmbeddings,
      bosTokenId: special.bos ?? undefined, eosTokenId: special.eos ?? undefined, padTokenId: special.pad ?? undefined,
    },
    { seed: c.seed, threads, tokenizer: tokPath, dtype: initDtype, device: c.device },
  );
  writeJsonAtomic(join(privateInit ?? initDir, GENERATION_CONFIG_FILE), makeGenerationConfig(special));
  return { model, baseDir: privateInit ?? initDir, baseName: initDir };
}

async function saveWeights(model: Model, c: RunConfig, baseDir: string, baseName: string, dir: string): Promise<void> {
  // Filled beside, swapped in (old aside, new in, old removed): a kill leaves one complete folder.
  await writeDirAtomic(dir, async (tmp) => {
    if (c.loraRank > 0) await model.saveAdapter(tmp, { baseModel: baseName });
    else {
      await model.save(tmp);
      for (const f of ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) if (existsSync(join(baseDir, f))) copyFileAtomic(join(baseDir, f), join(tmp, f));
    }
  });
}

export async function trainRun(config: unknown, runDir: string, o: TrainRunOptions = {}): Promise<TrainRunSummary> {
  const parsed = parseRunConfig(config);
  const dist = o.distributed ? checkDistributed(o.distributed) : null;
  // Rank 0 alone writes the run folder; the other ranks only read it (config, state on resume).
  const writer = !dist || dist.rank === 0;
  const worldSize = dist?.worldSize ?? 1;
  // With device `cuda`, rank r of a node trains on cuda:LOCAL_RANK.
  const c: RunConfig = dist ? { ...parsed, device: rankDevice(parsed.device, dist) as RunConfig['device'] } : parsed;
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const progress = o.progress ?? silentProgress;
  runDir = resolve(runDir);
  const statePath = join(runDir, 'state', 'trainer.safetensors');
  const configPath = join(runDir, 'config.json');
  const metricsPath = join(runDir, 'metrics.jsonl');
  const finished = existsSync(join(runDir, 'train-done.json'));
  if (finished && !o.resume) throw new OptionError(`${runDir} holds a finished run; choose another --out`);
  if (existsSync(configPath) && (writer || o.resume)) {
    if (!o.resume) throw new OptionError(`${runDir} already holds a run; continue it with --resume or choose another --out`);
    const prev = parseRunConfig(readJsonFile(configPath), configPath);
    if (stableConfig(prev) !== stableConfig(c))
      throw new OptionError(`--resume: the configuration differs from the one ${runDir} was started with (${configPath}) in ${changedFields(prev, c).join(', ')}; only ${RESUME_FREE.join(', ')} may change (or choose another --out)`);
  }
  if (finished) {
    log(`${runDir}: training already finished`);
    return readTrainSummary(runDir)!;
  }
  if (writer) {
    // What a killed run left half-written (temp files and folders, a checkpoint moved aside).
    for (const d of [runDir, join(runDir, 'state'), join(runDir, 'checkpoints'), join(runDir, 'init')])
      for (const a of cleanTempLeftovers(d)) log(`${a.action} ${a.path} (left by an interrupted write)`);
  }
  // config.json marks the folder as holding a run: it is written once the model and the data have
  // opened (below), so a run that fails at start (a wrong --model, a bad tokenizer) leaves nothing
  // that blocks the corrected rerun.
  const freshRun = !existsSync(configPath);

  // The world size a saved state was trained with, checked before any rendezvous (every rank
  // refuses alike, at once): its global batches and data position only fit that many ranks.
  if (o.resume && existsSync(statePath)) {
    const savedWorld = Number(readSafetensorsHeader(statePath).metadata.worldSize ?? 1);
    if (savedWorld !== worldSize)
      throw new OptionError(`--resume: ${statePath} was saved by a run of ${savedWorld} process(es) (world size ${savedWorld}); this one has ${worldSize}. Resume with ${savedWorld > 1 ? `--nproc ${savedWorld} (or WORLD_SIZE=${savedWorld})` : 'one process (no --nproc, WORLD_SIZE unset)'}`);
  }
  const threads = c.threads;
  const privateInit = !writer && !c.model && !(o.resume && existsSync(join(runDir, 'init', 'model.safetensors')))
    ? mkdtempSync(join(tmpdir(), `eyemulator-rank${dist!.rank}-init-`)) : undefined;
  const { model, baseDir, baseName } = await startModel(c, runDir, threads, privateInit);
  const dropout = unappliedDropout(readJsonFile<HfConfig>(join(baseDir, 'config.json')));
  if (dropout.length) log(`model: ${dropout.join(', ')} in config.json are not applied (the engine trains with HF's eval-mode forward; only LoRA dropout is applied)`);
  let trainer: Trainer | undefined;
  try {
    const tok = await loadModelTokenizer(baseDir, c.tokenizer && c.model ? resolve(c.tokenizer) : undefined);
    for (const n of tok.notes) log(`tokenizer: ${n}`);
    assertTokenizerFitsModel(tok, model.info().vocabSize);
    const priorsPath = c.variant === 'baseline' ? null : resolve(c.priors ?? defaultPriorsPath());
    const weightModel = priorsPath ? buildWeightModel(loadPriors(priorsPath), c.variant, { wBase: c.wBase, priorsFile: priorsPath, shuffleSeed: c.seed }) : null;
    const data = await loadRunData(c, tok, weightModel, log);
    if (freshRun && writer) writeJsonAtomic(configPath, parsed);
    log(`${c.task}: ${data.examples.length} training examples (${formatTruncationReport(data.truncation)})`);
    if (weightModel) log(`weights: variant ${c.variant} (${weightModel.spec.describe}), priors ${priorsPath} — EyeTrans/EyeMulator priors (Zhang et al., FSE 2024; ACL 2026), CC-BY-4.0`);
    else log('weights: variant baseline (all 1)');

    if (writer && !existsSync(join(runDir, 'provenance.json'))) {
      writeJsonAtomic(join(runDir, 'provenance.json'), await collectProvenance({
        seed: c.seed, data: data.task.files, priorsPath, modelPath: c.model ? baseDir : `init from ${c.tokenizer}`, modelConfig: join(baseDir, 'config.json'), version: PACKAGE_VERSION,
      }));
    }

    if (c.loraRank > 0) {
      const info = model.addLora({ r: c.loraRank, alpha: c.loraAlpha ?? 2 * c.loraRank, dropout: c.loraDropout, targetModules: c.loraTargets ?? 'all-linear', seed: c.seed });
      log(`LoRA r ${info.r}, α ${info.alpha}, ${info.parameters.toLocaleString('en')} trainable parameters on ${info.targetModules.join(', ')}`);
    }
    const lengths = data.examples.map((e) => e.ids.length);
    // Each step's global batch (batchSize × gradAccum × worldSize) is formed once, in one process's
    // order, and this rank takes its slice of it (bucketing.ts).
    const split: StepSplit = { microBatchSize: c.batchSize, gradAccum: c.gradAccum, worldSize, rank: dist?.rank ?? 0 };
    const globalBatch = globalBatchSize(split);
    const batchesPerEpoch = Math.ceil(data.examples.length / c.batchSize);
    const stepsPerEpoch = Math.ceil(data.examples.length / globalBatch);
    const totalSteps = c.maxSteps ?? c.epochs * stepsPerEpoch;
    const epochs = Math.ceil(totalSteps / stepsPerEpoch);
    if (writer) writeJsonAtomic(join(runDir, 'data.json'), {
      trainExamples: data.examples.length, truncation: data.truncation, parseIssues: data.parseIssues, globalBatch, worldSize, batchesPerEpoch, stepsPerEpoch, totalSteps, epochs,
      skipped: data.task.skipped, files: data.task.files,
    });

    trainer = new Trainer(model, runTrainerOptions(c, { totalSteps, weighted: weightModel !== null, threads }));

    if (dist) {
      const a = await trainer.attachDistributed({
        rank: dist.rank, worldSize: dist.worldSize, masterAddr: dist.masterAddr, masterPort: dist.masterPort,
        timeoutSeconds: dist.timeoutSeconds, rendezvousTimeoutSeconds: dist.rendezvousTimeoutSeconds, backend: dist.backend,
      });
      log(`data-parallel: rank ${a.rank} of ${a.worldSize} (${a.backend}), global batch ${globalBatch} = ${c.batchSize} × ${c.gradAccum} × ${a.worldSize}`);
    }

    let startEpoch = 0, startBatch = 0, elapsedBefore = 0, resumedFromStep = 0;
    if (o.resume && existsSync(statePath)) {
      const meta = await trainer.loadState(statePath);
      // `batch` counts global batches (= steps) of the epoch since BATCHING; before, it counted
      // micro-batches of differently formed batches — the same thing only without accumulation.
      if (meta.batching !== BATCHING && c.gradAccum > 1) throw new OptionError(`--resume: ${statePath} was saved by an older eyemulator that formed batches per micro-batch; with gradAccum ${c.gradAccum} its data position means other batches now. Start the run again in a new folder (or finish it with the older version)`);
      if (meta.globalBatch !== undefined && Number(meta.globalBatch) !== globalBatch) throw new OptionError(`--resume: ${statePath} was saved with global batches of ${meta.globalBatch} examples, this run forms ${globalBatch}`);
      startEpoch = Number(meta.epoch ?? 0);
      startBatch = Number(meta.batch ?? 0);
      elapsedBefore = Number(meta.elapsedS ?? 0);
      resumedFromStep = trainer.steps;
      if (writer) truncateMetrics(metricsPath, trainer.steps);
      log(`resumed at step ${trainer.steps} (epoch ${startEpoch + 1}, batch ${startBatch})`);
    } else if (writer) {
      writeTextAtomic(metricsPath, '');
    }

    const saveState = async (epoch: number, batch: number, elapsed: number) => {
      // The state folder appears with the first state: a run that fails at start leaves none.
      if (writer) ensureDir(dirname(statePath));
      if (writer) await trainer!.saveState(statePath, { epoch: String(epoch), batch: String(batch), elapsedS: String(elapsed), batching: BATCHING, globalBatch: String(globalBatch), worldSize: String(worldSize) });
    };

    const t0 = performance.now();
    const stepsAtStart = trainer.steps;
    const elapsed = () => elapsedBefore + (performance.now() - t0) / 1000;
    progress.start(totalSteps, trainer.steps);
    let lastEpochLosses: number[] = [];
    const memoryLosses: number[] = [];
    for (let epoch = startEpoch; epoch < epochs && trainer.steps < totalSteps; epoch++) {
      // Global batches, exactly as one process with batchSize = globalBatch would form them.
      const plan = epochBatches(lengths, { seed: c.seed, epoch, batchSize: globalBatch });
      const tEpoch = performance.now();
      lastEpochLosses = [];
      let b = epoch === startEpoch ? startBatch : 0;
      while (b < plan.batches.length && trainer.steps < totalSteps) {
        const interrupted = async (): Promise<never> => {
          progress.stop();
          await saveState(epoch, b, elapsed());
          throw new InterruptedError(`interrupted at step ${trainer!.steps}/${totalSteps}: state saved in ${statePath}; continue with --resume${dist ? ` and the same ${worldSize} processes` : ''}`);
        };
        if (!dist && o.signal?.aborted) await interrupted();
        const global = plan.batches[b];
        const micro = microBatches(global, split).map((idx) => collateRows(idx.map((i) => rowFor(data.examples[i], weightModel, c.seed, epoch, c.paths)), tok.padId));
        o.onBatch?.(trainer.steps + 1, epoch, micro, global.map((i) => data.examples[i].key));
        const ts = performance.now();
        // One process: an abort stops the step within a micro-batch, and an aborted step changes
        // nothing (weights, step count, dropout stream), so the state saved at this batch resumes
        // exactly. Data-parallel: the abort is agreed on inside the step, so all ranks stop at the same one.
        let r: Awaited<ReturnType<Trainer['step']>>;
        try {
          r = await trainer.step(micro, o.signal);
        } catch (e) {
          if (!dist && e instanceof AbortError) return await interrupted();
          throw e;
        }
        if (r.stopped) await interrupted();
        const dt = (performance.now() - ts) / 1000;
        // Sequence positions of the whole global batch (every rank's micro-batches, padded as collated).
        const seqTokens = dist
          ? Array.from({ length: worldSize }, (_, rk) => microBatches(global, { ...split, rank: rk })).flat().reduce((s, idx) => s + idx.length * Math.max(...idx.map((i) => lengths[i])), 0)
          : micro.reduce((s, m) => s + m.batchSize * m.seqLen, 0);
        b += 1;
        lastEpochLosses.push(r.loss);
        const rec: StepRecord = {
          type: 'step', step: r.step, epoch, loss: r.loss, sft: r.sft, pref: r.pref, ce: r.ce, gradNorm: r.gradNorm, lr: r.lr, tokens: r.tokens, seqTokens,
          tokensPerS: seqTokens / dt, elapsedS: elapsed(),
          ...(r.commSeconds !== undefined ? { commS: r.commSeconds, gradAllreduceS: r.gradAllreduceSeconds } : {}),
        };
        memoryLosses.push(r.loss);
        if (writer) appendFileSync(metricsPath, JSON.stringify(rec) + '\n');
        const doneHere = trainer.steps - stepsAtStart;
        const pace = (performance.now() - t0) / 1000 / Math.max(doneHere, 1);
        progress.update({ step: r.step, total: totalSteps, epoch, loss: r.loss, tokensPerS: rec.tokensPerS, eta: pace * (totalSteps - r.step) });
      }
      const finished = b >= plan.batches.length;
      const mean = lastEpochLosses.reduce((a, x) => a + x, 0) / Math.max(lastEpochLosses.length, 1);
      if (writer) appendFileSync(metricsPath, JSON.stringify({ type: 'epoch', epoch, epochEndStep: trainer.steps, complete: finished, meanLoss: mean, seconds: (performance.now() - tEpoch) / 1000 }) + '\n');
      // Checkpoint before state: a kill between the two resumes from the previous state and
      // rewrites this checkpoint (the other order would resume past it and never write it).
      if (writer) await saveWeights(model, c, baseDir, baseName, join(runDir, 'checkpoints', `epoch-${epoch + 1}`));
      await saveState(finished ? epoch + 1 : epoch, finished ? 0 : b, elapsed());
    }
    progress.stop();
    const finalDir = join(runDir, 'final');
    if (writer) await saveWeights(model, c, baseDir, baseName, finalDir);
    // The other ranks know only this segment's losses (rank 0's summary is the run's).
    const losses = writer ? readStepRecords(runDir).map((s) => s.loss) : memoryLosses;
    const tail = losses.slice(-Math.max(1, Math.round(losses.length / 10)));
    const summary: TrainRunSummary = {
      runDir, steps: trainer.steps, totalSteps, epochs, seconds: elapsed(),
      finalLoss: tail.reduce((a, l) => a + l, 0) / Math.max(tail.length, 1),
      trainExamples: data.examples.length, truncation: data.truncation,
      modelDir: c.loraRank > 0 ? baseDir : finalDir, adapterDir: c.loraRank > 0 ? finalDir : null, resumedFromStep,
    };
    if (writer) writeTrainSummary(runDir, summary);
    return summary;
  } finally {
    trainer?.dispose();
    model.dispose();
    if (privateInit) rmSync(privateInit, { recursive: true, force: true });
  }
}
