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
export { Model, type LoadOptions, type ForwardOptions } from './model/model.ts';
export { makeHfConfig, expectedTensorNames, defaultIntermediate, type ModelShape, type Arch, type HfConfig } from './model/config.ts';
export { readSafetensorsHeader, type SafetensorsHeader, type HeaderTensor } from './model/safetensors-header.ts';
export { Trainer, type TrainerOptions, type StepResult } from './train/trainer.ts';
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
