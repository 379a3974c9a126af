/**
 * The one reader of `generation_config.json`, and the rule that turns it, config.json and the
 * tokenizer into the ids generation needs: stop ids (EOS) and the pad id.
 *
 * What HF does (transformers 5.18):
 * - `GenerationMixin.adjust_generation_fn` (generation/utils.py) loads
 *   `GenerationConfig.from_pretrained(dir)`; only when generation_config.json is missing does it
 *   build one from config.json (`_from_model_config`). So when the file exists, HF stops on its
 *   `eos_token_id` alone.
 * - `_prepare_special_tokens` (generation/utils.py) turns `eos_token_id` (int or list) into a 1-D
 *   list of stop ids and, when `pad_token_id` is unset, pads with `eos[0]`.
 * - `generate` never consults the tokenizer: with no eos_token_id anywhere it runs to max length
 *   (text-generation pipelines only copy the tokenizer's pad id).
 *
 * What we do (issue 13): stop ids = generation_config.json `eos_token_id` ∪ config.json
 * `eos_token_id` (each an int or a list), generation_config.json's first, so `stopIds[0]` is HF's
 * `eos[0]`. This equals HF whenever config.json's EOS is one of generation_config.json's (Llama-3,
 * Qwen2, and every folder `model init` writes); when it is not, we also stop on the id the model's
 * own config calls EOS. The EOS that training appends (tokenizer.ts) is added last when missing, with
 * a note — a model taught to emit it must stop there, even where HF would run on.
 * Pad id: generation_config.json `pad_token_id`, else config.json's, else the tokenizer's
 * pad_token, else stopIds[0], else 0 (the engine masks padding, so the value never changes outputs;
 * it only has to be a valid id).
 *
 * Errors: a field that is neither an int ≥ 0, a list of them, nor null is an InputError naming the
 * file and field; so is an id ≥ config.json `vocab_size`.
 */
import { join } from 'node:path';
import { InputError } from '../util/errors.ts';
import { readJsonFileIfExists } from '../util/json.ts';

export const GENERATION_CONFIG_FILE = 'generation_config.json';

/** The token-id fields of a generation_config.json (or of a config.json, same field names). */
export interface SpecialIdFields {
  /** The file read (for messages), or null when it does not exist. */
  file: string | null;
  bos: number | null;
  /** `eos_token_id` as a list (an int becomes a one-element list; null/absent → []). */
  eos: number[];
  pad: number | null;
  /** Decoding settings in the file that eyemulator's greedy/beam decoding does not apply (see ignoredDecodingFields). */
  ignored?: string[];
}

/**
 * generation_config.json fields that change what HF's `generate` produces but that our decoding
 * (greedy, or beam with `--beams`; the method evaluates greedily) does not apply. They are not
 * refused — Llama-3-Instruct ships `do_sample: true, temperature: 0.6, top_p: 0.9` — but named in
 * a note, so nobody expects HF's sampled output. Values equal to HF's defaults are not listed.
 */
export function ignoredDecodingFields(obj: Record<string, unknown>): string[] {
  // temperature/top_k/top_p only act with do_sample (listed itself); max_length 20 is HF's default.
  const defaults: Record<string, unknown> = {
    do_sample: false, num_beams: 1, repetition_penalty: 1.0, no_repeat_ngram_size: 0, length_penalty: 1.0,
    forced_bos_token_id: null, forced_eos_token_id: null, suppress_tokens: null, begin_suppress_tokens: null,
    bad_words_ids: null, min_new_tokens: null, min_length: 0, max_new_tokens: null, max_length: 20,
    encoder_repetition_penalty: 1.0, sequence_bias: null, exponential_decay_length_penalty: null,
  };
  const out: string[] = [];
  for (const [k, d] of Object.entries(defaults)) {
    const v = obj[k];
    if (v === undefined || v === null || JSON.stringify(v) === JSON.stringify(d)) continue;
    out.push(`${k}: ${JSON.stringify(v)}`);
  }
  return out;
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** An `*_token_id` field that must be one id or absent/null. */
export function idField(obj: Record<string, unknown>, field: string, file: string): number | null {
  const v = obj[field];
  if (v === undefined || v === null) return null;
  if (!isId(v)) throw new InputError(`field "${field}" must be a non-negative integer or null, got ${JSON.stringify(v)}`, { file });
  return v;
}

/** `eos_token_id`: an int, a list of ints, or absent/null (→ []). Duplicates are dropped, order kept. */
export function idListField(obj: Record<string, unknown>, field: string, file: string): number[] {
  const v = obj[field];
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  if (!list.every(isId)) throw new InputError(`field "${field}" must be an integer or a list of integers (token ids), got ${JSON.stringify(v)}`, { file });
  return [...new Set(list as number[])];
}

/** The special id fields of a parsed config object. */
export function specialIdFields(obj: Record<string, unknown>, file: string): SpecialIdFields {
  return { file, bos: idField(obj, 'bos_token_id', file), eos: idListField(obj, 'eos_token_id', file), pad: idField(obj, 'pad_token_id', file) };
}

/** `<dir>/generation_config.json`'s special ids, or null when the folder has none. BOM allowed. */
export function readGenerationConfig(dir: string): SpecialIdFields | null {
  const file = join(dir, GENERATION_CONFIG_FILE);
  const j = readJsonFileIfExists<unknown>(file);
  if (j === null) return null;
  if (typeof j !== 'object' || Array.isArray(j)) throw new InputError('expected a JSON object', { file });
  return { ...specialIdFields(j as Record<string, unknown>, file), ignored: ignoredDecodingFields(j as Record<string, unknown>) };
}

export interface StopIdInputs {
  generationConfig: SpecialIdFields | null;
  /** config.json's fields (null: no config.json). */
  config: SpecialIdFields | null;
  /** config.json `vocab_size` (ids must be below it), when known. */
  vocabSize?: number | null;
  /** The EOS training appends (tokenizer.ts `trainingEos`), null when there is none. */
  trainingEos: number | null;
  /** The tokenizer's pad_token id, null when it has none. */
  tokenizerPad: number | null;
}

export interface GenerationIds {
  /** Generation stops when any of these is produced (may be empty: then only max length stops it). */
  stopIds: number[];
  /** Where each stop id came from, for `tokenizer encode` and logs. */
  stopSources: Array<{ id: number; from: string }>;
  padId: number;
  padFrom: string;
  /** What differs from HF's generate, or why something was chosen (printed by `tokenizer encode`). */
  notes: string[];
}

/** Stop ids and pad id from generation_config.json, config.json and the tokenizer (rule in the file comment). */
export function generationIds(i: StopIdInputs): GenerationIds {
  const notes: string[] = [];
  const stopSources: GenerationIds['stopSources'] = [];
  const add = (id: number, from: string) => { if (!stopSources.some((s) => s.id === id)) stopSources.push({ id, from }); };
  const gc = i.generationConfig, cfg = i.config;
  for (const id of gc?.eos ?? []) add(id, GENERATION_CONFIG_FILE);
  for (const id of cfg?.eos ?? []) add(id, 'config.json');
  if (gc && cfg && cfg.eos.some((id) => !gc.eos.includes(id)))
    notes.push(`config.json eos_token_id ${JSON.stringify(cfg.eos)} is not all in ${GENERATION_CONFIG_FILE} eos_token_id ${JSON.stringify(gc.eos)}: HF's generate stops only on the latter; we stop on both`);
  if (i.trainingEos !== null && !stopSources.some((s) => s.id === i.trainingEos)) {
    notes.push(stopSources.length === 0
      ? `neither ${GENERATION_CONFIG_FILE} nor config.json names eos_token_id (HF's generate would not stop before max length); stopping on the tokenizer's EOS ${i.trainingEos}, which training appends`
      : `the EOS training appends (${i.trainingEos}) is not an eos_token_id of ${GENERATION_CONFIG_FILE}/config.json; stopping on it too`);
    add(i.trainingEos, 'tokenizer (training EOS)');
  }
  if (stopSources.length === 0) notes.push('no EOS id anywhere: generation runs to the maximum number of new tokens');
  if (gc?.ignored?.length)
    notes.push(`${GENERATION_CONFIG_FILE} sets ${gc.ignored.join(', ')}; eyemulator decodes greedily (or beam search with --beams) and applies none of these, so outputs differ from HF's default generate`);
  let padId: number, padFrom: string;
  if (gc?.pad != null) { padId = gc.pad; padFrom = GENERATION_CONFIG_FILE; }
  else if (cfg?.pad != null) { padId = cfg.pad; padFrom = 'config.json'; }
  else if (i.tokenizerPad !== null) { padId = i.tokenizerPad; padFrom = 'tokenizer pad_token'; }
  else if (stopSources.length > 0) { padId = stopSources[0].id; padFrom = 'first stop id (as HF)'; }
  else { padId = 0; padFrom = 'default 0'; }
  if (i.vocabSize != null) {
    const check = (id: number, what: string, file: string | null) => {
      if (id >= i.vocabSize!) throw new InputError(`${what} ${id} is not below config.json vocab_size ${i.vocabSize}`, { file: file ?? undefined });
    };
    for (const s of stopSources) check(s.id, 'eos_token_id', s.from === GENERATION_CONFIG_FILE ? gc!.file : s.from === 'config.json' ? cfg!.file : null);
    check(padId, 'pad_token_id', padFrom === GENERATION_CONFIG_FILE ? gc!.file : padFrom === 'config.json' ? cfg!.file : null);
  }
  return { stopIds: stopSources.map((s) => s.id), stopSources, padId, padFrom, notes };
}

/**
 * The generation_config.json `model init` writes, as transformers' `GenerationConfig(...).save_pretrained`
 * does for these fields (plus `_from_model_config`/`transformers_version` which HF adds; we omit
 * the version we do not have). Null ids are left out, as HF leaves out unset fields.
 */
export function makeGenerationConfig(ids: { bos: number | null; eos: number | number[] | null; pad: number | null }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (ids.bos !== null) out.bos_token_id = ids.bos;
  if (ids.eos !== null && !(Array.isArray(ids.eos) && ids.eos.length === 0)) out.eos_token_id = ids.eos;
  if (ids.pad !== null) out.pad_token_id = ids.pad;
  return out;
}
