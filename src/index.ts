/**
 * eyemulator's public API.
 *
 * - Engine: Model (HF checkpoints of the families in README, The engine; PEFT adapters), Trainer
 *   (weighted CE + token-level preference, AdamW, schedules).
 * - Data-parallel training: distributedFromEnv (torchrun's variables), launchLocal (N local ranks),
 *   Trainer.attachDistributed; docs/cluster.md.
 * - Runs and experiments: trainRun, runExperiment / runExperimentCell / listCells / reportExperiment,
 *   runCell (one cell in-process).
 * - Human attention: code labelling, gaze → scan paths, priors, pseudo paths and weights.
 * - Evaluation: metrics and paired statistics.
 */
export { Model, type LoadOptions, type ForwardOptions, type GenerationProgress } from './model/model.ts';
export { makeHfConfig, expectedTensorNames, expectedTensors, defaultIntermediate, type ModelShape, type Arch, type HfConfig } from './model/config.ts';
export { readSafetensorsHeader, type SafetensorsHeader, type HeaderTensor } from './model/safetensors-header.ts';
export { Trainer, type TrainerOptions, type StepResult, type StepOptions, type MicroBatchProgress } from './train/trainer.ts';
/**
 * The trainer's defaults, one source for `new Trainer(model)` and the run config (`eyemulator train`):
 * `TRAINER_DEFAULTS` (each one documented on `TrainerOptions`), `resolveTrainerOptions(options)` (what a
 * Trainer runs with), `runTrainerOptions(config, run)` (a run config's Trainer options), the schedules.
 */
export { TRAINER_DEFAULTS, LR_SCHEDULES, resolveTrainerOptions, type ResolvedTrainerOptions, type LrSchedule } from './train/defaults.ts';
export { native, NativeLoadError, type NativeBatch, type Dtype, type ModelInfo, type TensorData } from './native/index.ts';
export * from './native/errors.ts';
export { EyemulatorError, InputError, OptionError } from './util/errors.ts';
export { Rng } from './util/rng.ts';
export { LABELS, labelId, labelName, isLabelName, type LabelName } from './code/labels.ts';
export { labelCode, labelCodeSync, initLabeller, langFromPath, type CodeToken, type CodeLang } from './code/index.ts';
export * as gaze from './gaze/index.ts';
export * as priors from './priors/index.ts';
export * as weights from './weights/index.ts';
export * as evaluation from './eval/index.ts';
export { buildPrompt, type TaskName } from './data/prompt.ts';
export { collate, makeCausalExample, type CausalExample } from './data/causal-example.ts';
export { byteTokenizerJson, BYTE_VOCAB_SIZE } from './tokenizer/byte.ts';
export { loadModelTokenizer, specialLayout, type ModelTokenizer, type SpecialLayout } from './model/tokenizer.ts';
export { generationIds, readGenerationConfig, type GenerationIds } from './model/generation-config.ts';
export { readCodexglueSplit, type CodePair } from './data/codexglue.ts';
export { trainRun } from './train/run.ts';
export { runExperiment, runExperimentCell, listCells, reportExperiment } from './experiment/runner.ts';
export { runCell } from './experiment/cell.ts';
export {
  distributedFromEnv, distributedAvailable, checkDistributed, launchLocal, DistributedLaunchError, DistributedError,
  DEFAULT_TIMEOUT_SECONDS, type DistributedOptions, type LaunchOptions,
} from './distributed/index.ts';

// --- The pipeline behind the CLI (issue 11). Each command in src/cli/commands is a thin shell over
// the exports of this file; what a command still imports from elsewhere is listed, with the reason,
// in test/house/imports.test.ts, which fails when a command reaches past this API unlisted.

/**
 * Text in, text out: `generateText(model, tokenizer, prompts, options)` encodes each prompt with the
 * model's tokenizer (its post-processor's BOS included), decodes in batches of `batchSize` (default 8,
 * left-padded) greedily or with `beams` (default 1), for at most `maxNewTokens` (default 256) tokens
 * or until EOS, then cuts the text before the first `stop` string. One `TextGeneration` per prompt,
 * in order: `text`, `tokens` (how many were generated, EOS included when emitted), `finish` ('eos' |
 * 'length' | 'stop') and `meanLogprob` (nats per generated token). `signal` is checked before each
 * batch (throws its reason); `onProgress(done, total)` runs after each. `cutAtStop` is the cut alone.
 */
export { generateText, cutAtStop, type TextGeneration, type TextGenerationOptions } from './model/generation.ts';
/**
 * Tokenizer loading beyond `loadModelTokenizer`: `assertTokenizerFitsModel(tok, vocabSize)` throws a
 * typed InputError when a tokenizer's largest id does not fit the model's embedding rows;
 * `EncodedText` is what `ModelTokenizer.encode` returns (ids with code-point offsets).
 */
export { assertTokenizerFitsModel, type EncodedText } from './model/tokenizer.ts';
/**
 * Byte-level BPE tokenizer training (`eyemulator tokenizer train`): `trainTokenizer(files, options)`
 * learns merges over the files' words; `saveTrainedTokenizer(t, dir)` writes tokenizer.json and
 * tokenizer_config.json atomically; `parseSpecials` reads a special-token list; `formatTrainStats`
 * prints the counts.
 */
export {
  trainTokenizer, saveTrainedTokenizer, parseSpecials, formatTrainStats, DEFAULT_SPECIALS,
  type TrainTokenizerOptions, type TrainTokenizerStats, type TrainedTokenizer,
} from './tokenizer/train.ts';
/** The special tokens of the tokenizers eyemulator writes: `{ bos: '<|bos|>', eos: '<|eos|>', pad: '<|pad|>' }`. */
export { SPECIAL_TOKENS } from './tokenizer/special.ts';
/**
 * Task data (`TASK_NAMES`, the one task list: `translation`, `summarization`, `completion`):
 * `loadTask(source)` reads CodeXGLUE pairs or the artifact's JSONL into `TaskExample`s;
 * `resolveTaskSource(task, spec, split)` maps a CLI-style spec (undefined or "default": the shipped
 * data; else a file or folder) to a `TaskSource`.
 */
export { TASK_NAMES, loadTask, parseTaskName, type TaskExample, type TaskSource, type TaskData } from './data/tasks.ts';
export { resolveTaskSource, type Split } from './data/source.ts';
/**
 * Training-run configuration and progress: `readConfigFile` (YAML or JSON) then `parseRunConfig`
 * (the first bad field named) give the `RunConfig` that `trainRun` takes; `readTrainSummary(runDir)` is
 * a finished run's summary (null before). `lineProgress(write, every)` / `silentProgress` are
 * `ProgressSink`s for `trainRun`'s `progress` option. `InterruptedError` is what an aborted run throws
 * once its checkpoint is written.
 */
export { parseRunConfig, readConfigFile, runTrainerOptions, type RunConfig, type RunConfigInput } from './train/config.ts';
export { type TrainRunOptions } from './train/run.ts';
export { readTrainSummary, readRunResult, type TrainRunSummary } from './train/run-dir.ts';
export { lineProgress, silentProgress, type ProgressSink, type StepProgress } from './train/progress.ts';
export { InterruptedError } from './util/errors.ts';
/**
 * Evaluation of a trained run folder: `evaluateRun(runDir, options)` generates on the run's validation
 * examples, scores every metric of its task and stores the run's result in the folder
 * (`readRunResult(runDir)` reads it back; null before). Per-example metrics on their own are `evaluation.evaluate`.
 */
export { evaluateRun, type EvalRunOptions, type EvalRunSummary } from './experiment/evaluate-run.ts';
/**
 * Attention diagnostics on generated tokens (confidence, entropy, focus, recency, alignment with human
 * attention; docs/attention.md): `attentionDiagnostics(model, tokenizer, examples, options)`.
 */
export {
  attentionDiagnostics, DIAGNOSTIC_NAMES, type AttentionDiagnosticsOptions, type AttentionDiagnosticsResult,
} from './experiment/attention.ts';
/** An experiment file (YAML) validated into its cells, as `runExperiment` reads it. */
export { loadExperiment } from './experiment/runner.ts';
/**
 * Reports from a results file (`eyemulator compare`, experiment reports): `buildReport(results,
 * options)` computes the paired comparisons; `writeReport(results, outDir, options)` writes the
 * report.md, report.html, report.json and the SVG charts, each atomically, and lists them; `reportText` is the terminal summary;
 * `loadResults` / `parseResults` read and validate a results file (`RESULTS_FORMAT`).
 */
export {
  buildReport, writeReport, reportText, loadResults, parseResults, RESULTS_FORMAT,
  type ResultsFile, type RunResult, type WrittenReport, type Report, type ReportOptions,
} from './report/index.ts';
/** Code labelling with the parse problems it met (tree-sitter ERROR/MISSING regions), as `eyemulator label` prints them. */
export { labelCodeDetailed, formatParseIssue, CODE_LANGS, type LabelledCode, type CodeParseIssue } from './code/index.ts';
