/**
 * A model folder's tokenizer as HF transformers 5 uses it: tokenizer.json through the official HF
 * `tokenizers` binding (same Rust code as Python's), the special tokens its post-processor adds
 * (BOS/EOS), the EOS training appends, and — from generation-config.ts — the stop ids and pad id.
 *
 * Files (all optional except tokenizer.json; a UTF-8 BOM is accepted in each):
 *   tokenizer.json          `<dir>/tokenizer.json` or an explicit path
 *   tokenizer_config.json   beside that tokenizer.json, else in `<dir>`
 *   config.json, generation_config.json   in `<dir>`
 *
 * What training and generation feed (one layout, `sequenceIds` / `promptIds`):
 *   training:    prefix · prompt · target · EOS      (loss on target + EOS)
 *   generation:  prefix · prompt                      (then the model continues)
 * where `prefix` is what the post-processor puts before a single sequence (BOS or nothing) and EOS
 * is the post-processor's own suffix token when it adds one (Llama-2 with add_eos), else the
 * tokenizer's eos_token, else the first stop id. Prompt and target are encoded separately without
 * special tokens (so offsets stay per text).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { InputError } from '../util/errors.ts';
import { SPECIAL_TOKENS } from '../tokenizer/special.ts';
import { readJsonFile, readJsonFileIfExists } from '../util/json.ts';
import { generationIds, readGenerationConfig, specialIdFields, type GenerationIds, type SpecialIdFields } from './generation-config.ts';

type Json = Record<string, any>;

/** Special tokens around a single sequence, as `tokenizer(text)` adds them. */
export interface SpecialLayout {
  /** Ids before the text (e.g. [BOS]); [] when none. */
  prefix: number[];
  /** Ids after the text (e.g. [EOS] for Llama-2 tokenizers set to add it); [] when none. */
  suffix: number[];
  /** Which file/field decided, for `tokenizer encode`. */
  from: string;
  /** Disagreements between the files, and which one HF follows. */
  notes: string[];
}

function tokenContent(tok: unknown): string | null {
  if (typeof tok === 'string') return tok;
  if (tok && typeof tok === 'object' && typeof (tok as { content?: unknown }).content === 'string') return (tok as { content: string }).content;
  return null;
}

/**
 * Interprets a tokenizer.json `post_processor` for a single sequence: the ids it puts before and
 * after the text. Handles the processors HF checkpoints use: null, ByteLevel (adds nothing),
 * TemplateProcessing (`single` template + `special_tokens` table), RobertaProcessing and
 * BertProcessing (`cls` … `sep`), and Sequence of these. Anything else is refused.
 */
export function postProcessorLayout(pp: unknown, file: string): { prefix: number[]; suffix: number[] } {
  if (pp === null || pp === undefined) return { prefix: [], suffix: [] };
  const p = pp as Json;
  switch (p.type) {
    case 'ByteLevel':
      return { prefix: [], suffix: [] };
    case 'TemplateProcessing': {
      const single = p.single;
      if (!Array.isArray(single)) throw new InputError('field "post_processor.single" must be a list (TemplateProcessing)', { file });
      const prefix: number[] = [], suffix: number[] = [];
      let seen = false;
      for (const piece of single) {
        if (piece?.Sequence) {
          if (piece.Sequence.id !== 'A' || seen) throw new InputError(`post_processor.single has an unexpected sequence ${JSON.stringify(piece)}`, { file });
          seen = true;
          continue;
        }
        const name = piece?.SpecialToken?.id;
        const entry = typeof name === 'string' ? p.special_tokens?.[name] : undefined;
        if (!entry || !Array.isArray(entry.ids)) throw new InputError(`post_processor.special_tokens has no ids for ${JSON.stringify(name)}`, { file });
        (seen ? suffix : prefix).push(...(entry.ids as number[]));
      }
      if (!seen) throw new InputError('post_processor.single has no $A sequence', { file });
      return { prefix, suffix };
    }
    case 'RobertaProcessing':
    case 'BertProcessing': {
      const cls = p.cls?.[1], sep = p.sep?.[1];
      if (!Number.isInteger(cls) || !Number.isInteger(sep)) throw new InputError(`post_processor (${p.type}) needs cls and sep as [token, id]`, { file });
      return { prefix: [cls], suffix: [sep] };
    }
    case 'Sequence': {
      // Each processor wraps the output of the previous one.
      let prefix: number[] = [], suffix: number[] = [];
      for (const q of p.processors ?? []) {
        const l = postProcessorLayout(q, file);
        prefix = [...l.prefix, ...prefix];
        suffix = [...suffix, ...l.suffix];
      }
      return { prefix, suffix };
    }
    default:
      throw new InputError(`post_processor type ${JSON.stringify(p.type)} is not supported (supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence, null)`, { file });
  }
}

/**
 * Which special tokens `tokenizer(text)` adds — THE rule, as transformers 5.18 applies it when a
 * folder has a tokenizer.json (ours always does):
 *
 * 1. `PreTrainedTokenizerBase._from_pretrained` (tokenization_utils_base.py, "if
 *    resolved_vocab_files.get("tokenizer_file") … init_kwargs.pop("add_bos_token") /
 *    pop("add_eos_token")") DROPS tokenizer_config.json's `add_bos_token` / `add_eos_token` when a
 *    tokenizer.json exists — for every tokenizer class (LlamaTokenizer, Qwen2Tokenizer,
 *    PreTrainedTokenizerFast…).
 * 2. `TokenizersBackend.__init__` (tokenization_utils_tokenizers.py) keeps tokenizer.json's
 *    `post_processor`; only when it is null does it call `update_post_processor()`, which, with both
 *    flags now False, builds TemplateProcessing("$A") — adds nothing.
 * So tokenizer.json's post_processor alone decides; tokenizer_config.json never adds or removes
 * BOS/EOS. (transformers 4.x LlamaTokenizerFast did rewrite the post-processor from add_bos_token /
 * add_eos_token; when the two files disagree we say so in `notes`, since a checkpoint tuned under
 * 4.x may have seen the other layout.) config.json's bos_token_id never adds a BOS (Qwen2 names
 * one and adds none).
 */
export function specialLayout(tokenizerJson: Json, tokenizerConfig: Json | null, files: { tokenizer: string; tokenizerConfig: string | null }): SpecialLayout {
  const { prefix, suffix } = postProcessorLayout(tokenizerJson.post_processor, files.tokenizer);
  const notes: string[] = [];
  if (tokenizerConfig) {
    const say = (flag: 'add_bos_token' | 'add_eos_token', adds: boolean) => {
      const v = tokenizerConfig[flag];
      if (typeof v === 'boolean' && v !== adds)
        notes.push(`${files.tokenizerConfig ?? 'tokenizer_config.json'} says ${flag}: ${v} but tokenizer.json's post_processor ${adds ? 'adds' : 'adds no'} ${flag === 'add_bos_token' ? 'BOS' : 'EOS'}; transformers 5 follows tokenizer.json (4.x followed ${flag})`);
    };
    say('add_bos_token', prefix.length > 0);
    say('add_eos_token', suffix.length > 0);
  }
  const pp = tokenizerJson.post_processor;
  // Tokenizers `eyemulator tokenizer train` wrote before the BOS post-processor existed: models
  // trained with them saw BOS first (an old prepend rule), while HF (and now we) add none.
  const first = tokenizerJson.added_tokens?.[0];
  if (pp == null && first?.id === 0 && first?.content === SPECIAL_TOKENS.bos && tokenizerConfig?.add_bos_token === false)
    notes.push(`${files.tokenizer} has no post_processor, so no BOS is added (as in transformers); models trained by eyemulator versions before 2026-12 with this tokenizer saw ${SPECIAL_TOKENS.bos} first: retrain the tokenizer (tokenizer train now writes a BOS post-processor)`);
  const from = pp == null ? 'tokenizer.json post_processor (null: adds nothing)' : `tokenizer.json post_processor (${pp.type})`;
  return { prefix, suffix, from, notes };
}

export interface TokenizerFiles {
  tokenizer: string;
  tokenizerConfig: string | null;
  config: string | null;
  generationConfig: string | null;
}

/** One text through the tokenizer, with everything `tokenizer encode` prints. */
export interface EncodedText {
  ids: number[];
  tokens: string[];
  /** [start, end) of each token in the text, as the binding reports them (code points; [0, 0] for added specials). */
  offsets: Array<[number, number]>;
  specialMask: number[];
}

export interface ModelTokenizer {
  /** The HF binding's tokenizer (what the data code encodes with, without special tokens). */
  tokenizer: Tokenizer;
  files: TokenizerFiles;
  layout: SpecialLayout;
  /** The BOS that starts every training sequence and prompt (the post-processor's one prefix id), or null. */
  bosId: number | null;
  /** The EOS that ends every training sequence (supervised), or null when the model has none. */
  eosId: number | null;
  /** Generation stop ids (generation_config.json ∪ config.json eos_token_id, see generation-config.ts). */
  eosIds: number[];
  padId: number;
  generation: GenerationIds;
  /** Everything worth telling a user about how the files were combined. */
  notes: string[];
  /** `tokenizer(text)` exactly as HF (special tokens per the post-processor unless addSpecialTokens is false). */
  encodeText(text: string, opts?: { addSpecialTokens?: boolean }): Promise<EncodedText>;
  /** The generation prompt: prefix · text (never the post-processor's EOS: training puts the target there). */
  encode(text: string): Promise<number[]>;
  /** The prompt with offsets and the special mask (attention diagnostics use it). */
  encodePrompt(text: string): Promise<EncodedText>;
  decode(ids: ArrayLike<number>): Promise<string>;
}

/** A tokenizer.json as the HF binding's Tokenizer (BOM accepted; InputError naming the file otherwise). */
export function loadTokenizerFile(path: string): Tokenizer {
  return loadTokenizerJson(path).tokenizer;
}

function loadTokenizerJson(path: string): { json: Json; tokenizer: Tokenizer } {
  const json = readJsonFile<Json>(path);
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new InputError('expected a JSON object (HF tokenizer.json)', { file: path });
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromString(JSON.stringify(json));
  } catch (e) {
    throw new InputError(`not a loadable HF tokenizer.json (${(e as Error).message})`, { file: path }, { cause: e });
  }
  return { json, tokenizer };
}

/** Names of the special tokens tokenizer_config.json declares (HF adds any missing from tokenizer.json). */
function declaredSpecials(tcfg: Json | null): string[] {
  if (!tcfg) return [];
  const out: string[] = [];
  for (const k of ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token']) {
    const c = tokenContent(tcfg[k]);
    if (c) out.push(c);
  }
  for (const k of ['additional_special_tokens', 'extra_special_tokens']) {
    const v = tcfg[k];
    const list = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : [];
    for (const t of list) { const c = tokenContent(t); if (c) out.push(c); }
  }
  const dec = tcfg.added_tokens_decoder;
  if (dec && typeof dec === 'object') for (const t of Object.values(dec)) if ((t as Json)?.special) { const c = tokenContent(t); if (c) out.push(c); }
  return out;
}

function asEncoded(enc: { getIds(): number[]; getTokens(): string[]; getOffsets(): number[][]; getSpecialTokensMask(): number[] }): EncodedText {
  return { ids: enc.getIds(), tokens: enc.getTokens(), offsets: enc.getOffsets().map(([a, b]) => [a, b] as [number, number]), specialMask: enc.getSpecialTokensMask() };
}

/**
 * Loads the tokenizer of the model in `dir` (tokenizer.json there, or `tokenizerPath`) with its
 * special-token layout, training EOS, stop ids and pad id. Errors are InputErrors naming the file.
 */
export async function loadModelTokenizer(dir: string, tokenizerPath?: string): Promise<ModelTokenizer> {
  const path = tokenizerPath ?? join(dir, 'tokenizer.json');
  if (!tokenizerPath && !existsSync(dir)) throw new InputError('no such model folder', { file: dir });
  if (!existsSync(path))
    throw new InputError(tokenizerPath ? 'no such tokenizer.json' : "no tokenizer.json in the model folder: copy the base model's tokenizer.json (and tokenizer_config.json) into it", { file: path });
  const { json, tokenizer } = loadTokenizerJson(path);
  const tcfgPath = [join(dirname(path), 'tokenizer_config.json'), join(dir, 'tokenizer_config.json')].find((p) => existsSync(p)) ?? null;
  const tcfg = tcfgPath ? readJsonFile<Json>(tcfgPath) : null;
  const cfgPath = join(dir, 'config.json');
  const cfgJson = readJsonFileIfExists<Json>(cfgPath);
  const config: SpecialIdFields | null = cfgJson ? specialIdFields(cfgJson, cfgPath) : null;
  const generationConfig = readGenerationConfig(dir);
  const files: TokenizerFiles = { tokenizer: path, tokenizerConfig: tcfgPath, config: cfgJson ? cfgPath : null, generationConfig: generationConfig?.file ?? null };

  // HF (TokenizersBackend.__init__ / _post_init) registers every special token tokenizer_config.json
  // names as a special added token, so such strings in a text are never split. Do the same.
  const added = new Set<string>((json.added_tokens ?? []).map((t: Json) => t.content));
  const missing = [...new Set(declaredSpecials(tcfg))].filter((s) => !added.has(s));
  if (missing.length > 0) tokenizer.addSpecialTokens(missing);

  const layout = specialLayout(json, tcfg, { tokenizer: path, tokenizerConfig: tcfgPath });
  if (layout.prefix.length > 1) throw new InputError(`the post_processor puts ${layout.prefix.length} tokens before a sequence (${layout.prefix.join(', ')}); only one (BOS) is supported`, { file: path });
  if (layout.suffix.length > 1) throw new InputError(`the post_processor puts ${layout.suffix.length} tokens after a sequence (${layout.suffix.join(', ')}); only one (EOS) is supported`, { file: path });

  const idOf = (tok: unknown): number | null => {
    const s = tokenContent(tok);
    if (!s) return null;
    const id = tokenizer.tokenToId(s);
    return id === undefined || id === null ? null : id;
  };
  const tokenizerEos = idOf(tcfg?.eos_token);
  const tokenizerPad = idOf(tcfg?.pad_token);
  const stopFromFiles = [...(generationConfig?.eos ?? []), ...(config?.eos ?? [])];
  const trainingEos = layout.suffix[0] ?? tokenizerEos ?? stopFromFiles[0] ?? null;
  const vocabSize = Number.isInteger(cfgJson?.vocab_size) ? (cfgJson!.vocab_size as number) : null;
  for (const [what, id] of [['eos_token', tokenizerEos], ['pad_token', tokenizerPad]] as const)
    if (id !== null && vocabSize !== null && id >= vocabSize)
      throw new InputError(`field "${what}" names token id ${id}, not below config.json vocab_size ${vocabSize} (a token missing from tokenizer.json?)`, { file: tcfgPath ?? path });
  const generation = generationIds({ generationConfig, config, vocabSize, trainingEos, tokenizerPad });
  const bosId = layout.prefix[0] ?? null;
  const notes = [...layout.notes, ...generation.notes];

  const encodeText = async (text: string, opts: { addSpecialTokens?: boolean } = {}) =>
    asEncoded(await tokenizer.encode(text, null, { addSpecialTokens: opts.addSpecialTokens ?? true }));
  const encodePrompt = async (text: string): Promise<EncodedText> => {
    const e = await encodeText(text, { addSpecialTokens: false });
    if (bosId === null) return e;
    return {
      ids: [bosId, ...e.ids], tokens: [tokenizer.idToToken(bosId) ?? '', ...e.tokens],
      offsets: [[0, 0], ...e.offsets], specialMask: [1, ...e.specialMask],
    };
  };
  return {
    tokenizer, files, layout, bosId, eosId: trainingEos, eosIds: generation.stopIds, padId: generation.padId, generation, notes,
    encodeText,
    encodePrompt,
    async encode(text: string): Promise<number[]> {
      return (await encodePrompt(text)).ids;
    },
    async decode(ids: ArrayLike<number>): Promise<string> {
      return tokenizer.decode(Array.from(ids), true);
    },
  };
}

/**
 * The bos/eos/pad ids a tokenizer.json declares, for a new model (`model init --tokenizer`,
 * `train` from scratch): the tokens tokenizer_config.json beside it names (bos_token, eos_token,
 * pad_token), else our trained tokenizers' <|bos|>/<|eos|>/<|pad|> tokens. Null where none.
 * Ids come from the HF `tokenizers` library (the ids Python's tokenizer uses), never from the raw
 * JSON: the library may renumber an added token whose `id` field disagrees with the vocabulary.
 * Throws InputError naming the file when tokenizer.json (or tokenizer_config.json) is not loadable.
 */
export function tokenizerSpecialIds(tokenizerPath: string): { bos: number | null; eos: number | null; pad: number | null } {
  const { tokenizer } = loadTokenizerJson(tokenizerPath);
  const tcfgPath = join(dirname(tokenizerPath), 'tokenizer_config.json');
  const tcfg = existsSync(tcfgPath) ? readJsonFile<Json>(tcfgPath) : null;
  if (tcfg !== null && (typeof tcfg !== 'object' || Array.isArray(tcfg))) throw new InputError('expected a JSON object (HF tokenizer_config.json)', { file: tcfgPath });
  const lookup = (name: string | null): number | null => {
    if (!name) return null;
    const id = tokenizer.tokenToId(name);
    return id === undefined || id === null ? null : id;
  };
  const pick = (field: string, fallback: string) => (tcfg && field in tcfg ? lookup(tokenContent(tcfg[field])) : lookup(fallback));
  return { bos: pick('bos_token', SPECIAL_TOKENS.bos), eos: pick('eos_token', SPECIAL_TOKENS.eos), pad: pick('pad_token', SPECIAL_TOKENS.pad) };
}

/** How a tokenizer's ids (vocabulary + added tokens, as the `tokenizers` library numbers them) fill their range. */
export interface TokenizerIdRange {
  /** Distinct ids. */
  count: number;
  /** The largest id (−1 for an empty vocabulary). */
  maxId: number;
}

/** The ids of a loaded tokenizer (see TokenizerIdRange). */
export function tokenizerIdRange(tokenizer: Tokenizer): TokenizerIdRange {
  let maxId = -1;
  const ids = new Set<number>();
  for (const id of Object.values(tokenizer.getVocab(true))) {
    ids.add(id);
    if (id > maxId) maxId = id;
  }
  return { count: ids.size, maxId };
}

/**
 * The number of embedding rows a new model needs for the tokenizer.json at `path` (`model init
 * --tokenizer`, training from scratch): largest id + 1, read through the `tokenizers` library.
 * Throws InputError naming the file when it is not a loadable tokenizer, holds no token, or its ids
 * leave more than half of that range unused (a vocabulary holding id 1,000,000 among a few tokens
 * would otherwise size a mostly empty 1M-row embedding: renumber the ids, or give the size
 * explicitly).
 */
export function tokenizerFileVocabSize(path: string): number {
  const { tokenizer } = loadTokenizerJson(path);
  const { count, maxId } = tokenizerIdRange(tokenizer);
  if (count === 0) throw new InputError('the tokenizer has no tokens', { file: path });
  if (count * 2 < maxId + 1)
    throw new InputError(
      `token ids reach ${maxId} but the tokenizer has only ${count} tokens: an embedding of ${maxId + 1} rows would be mostly unused ` +
        '(renumber the vocabulary and added tokens densely from 0, or give the vocabulary size explicitly)',
      { file: path },
    );
  return maxId + 1;
}

/**
 * Refuses a tokenizer with more tokens than the model has embeddings (config.json `vocab_size`):
 * some of its ids would index past the embedding matrix, and the mismatch would otherwise surface
 * mid-run as an out-of-range batch. A model vocabulary larger than the tokenizer's is normal (HF pads
 * vocab_size) and accepted. Compares the largest id (vocabulary + added tokens, as the `tokenizers`
 * library numbers them), not the token count: a vocabulary with holes can hold few tokens and still
 * an id past the embedding. Throws an InputError naming both files.
 */
export function assertTokenizerFitsModel(tok: ModelTokenizer, modelVocabSize: number): void {
  const { count, maxId } = tokenizerIdRange(tok.tokenizer);
  if (maxId >= modelVocabSize)
    throw new InputError(
      `has ${count} tokens but the model has ${modelVocabSize} embeddings (vocab_size in ${tok.files.config ?? 'config.json'}), and its largest id is ${maxId}: ` +
        "ids past the model's vocabulary have no embedding — use the model's own tokenizer.json",
      { file: tok.files.tokenizer },
    );
}
