/**
 * Trains a byte-level BPE tokenizer on text files and writes it as a Hugging Face `tokenizer.json`
 * (+ `tokenizer_config.json` naming bos/eos/pad) that `Tokenizer.fromFile` (Node or Python) and
 * transformers' `PreTrainedTokenizerFast` load.
 *
 * Training unit: by default every non-empty line of every file is one text (CodeXGLUE holds one
 * function per line; the line break is not part of the example, and the texts are pre-tokenised
 * independently so no piece spans two lines). `unit: 'file'` makes each whole file one text
 * (newlines and indentation runs then take part in the merges; use it for multi-line sources).
 * Lines are split on \n or \r\n; a final empty line is ignored. Empty lines are counted, not used.
 *
 * The written JSON is a pure function of the texts and options (vocab written in id order, merges
 * in rank order, fixed key order, no timestamps), so the same inputs give a byte-identical file.
 *
 * Layout: special tokens at ids 0 … k−1 (registered as added tokens, special = true, so they are
 * never split), the 256 byte symbols at k … k+255 (id = k + byte value), merged tokens after.
 * Pre-tokenizer and decoder: ByteLevel (add_prefix_space = false, use_regex = true, GPT-2 regex);
 * no normalizer; post-processor TemplateProcessing "<BOS> $A" with the first special token as BOS
 * (hf-json.ts), so `tokenizer(text)` here and in transformers starts with BOS; EOS is appended by
 * training after the target (src/model/tokenizer.ts, causal-example.ts).
 */
import { createReadStream, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { byteLevelPreTokenizer } from 'tokenizers';
import { InputError, OptionError } from '../util/errors.ts';
import { writeJsonAtomic, writeTextAtomic } from '../util/json.ts';
import { trainBpe, type BpeModel } from './bpe.ts';
import { byteLevelBpeDocument } from './hf-json.ts';
import { DEFAULT_SPECIALS } from './special.ts';

// Defined once in ./special.ts; re-exported here, where the training options have always offered it.
export { DEFAULT_SPECIALS };

export interface TrainTokenizerOptions {
  vocabSize: number;
  /** Default 2. */
  minFrequency?: number;
  /** Default <|bos|>, <|eos|>, <|pad|> (ids 0, 1, 2). The first three are bos, eos, pad in the config. */
  specialTokens?: readonly string[];
  /** 'line' (default): each non-empty line is a text; 'file': each file is one text. */
  unit?: 'line' | 'file';
  /** Context length recorded in tokenizer_config.json (default 2048). */
  modelMaxLength?: number;
}

export interface TrainTokenizerStats {
  files: { path: string; texts: number; emptyLines: number }[];
  texts: number;
  /** Distinct pre-tokenised pieces and their total count. */
  distinctWords: number;
  totalWords: number;
  vocabSize: number;
  merges: number;
  stoppedBy: BpeModel['stoppedBy'];
  seconds: { read: number; train: number; total: number };
}

export interface TrainedTokenizer {
  model: BpeModel;
  /** The tokenizer.json text (as written). */
  json: string;
  config: Record<string, unknown>;
  stats: TrainTokenizerStats;
}

/** Counts byte-level pre-tokens of texts (HF's own ByteLevel pre-tokenizer from the binding). */
export class WordCounter {
  readonly counts = new Map<string, number>();
  total = 0;
  private readonly pre = byteLevelPreTokenizer(false, true);
  add(text: string): void {
    if (text.length === 0) return;
    for (const [piece] of this.pre.preTokenizeString(text)) {
      this.counts.set(piece, (this.counts.get(piece) ?? 0) + 1);
      this.total++;
    }
  }
}

async function readTexts(path: string, unit: 'line' | 'file', counter: WordCounter): Promise<{ texts: number; emptyLines: number }> {
  if (unit === 'file') {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new InputError(`cannot read training file (${(err as Error).message})`, { file: path }, { cause: err });
    }
    if (text.length === 0) return { texts: 0, emptyLines: 0 };
    counter.add(text);
    return { texts: 1, emptyLines: 0 };
  }
  let texts = 0;
  let emptyLines = 0;
  const stream = createReadStream(path, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err) => reject(new InputError(`cannot read training file (${err.message})`, { file: path }, { cause: err })));
  });
  await opened;
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.length === 0) { emptyLines++; continue; }
    counter.add(line);
    texts++;
  }
  return { texts, emptyLines };
}

/** The HF tokenizer.json text for a trained model (deterministic formatting). */
export function tokenizerJson(model: BpeModel): string {
  const VOCAB = '\u0000VOCAB\u0000';
  const MERGES = '\u0000MERGES\u0000';
  // The first special token is BOS (tokenizerConfig): the post-processor puts it before every sequence.
  const bos = model.specialTokens.length > 0 ? { id: 0, content: model.specialTokens[0] } : undefined;
  const doc = byteLevelBpeDocument(model.specialTokens.map((content, id) => ({ id, content })), VOCAB, MERGES, true, bos);
  // Written by hand: JS objects put integer-like keys ("12") first, which would scramble id order.
  const vocab = '{\n' + model.tokens.map((t, i) => `      ${JSON.stringify(t)}: ${i}`).join(',\n') + '\n    }';
  const merges = model.merges.length === 0 ? '[]' : '[\n' + model.merges.map(([a, b]) => `      ${JSON.stringify(`${a} ${b}`)}`).join(',\n') + '\n    ]';
  return JSON.stringify(doc, null, 2).replace(JSON.stringify(VOCAB), vocab).replace(JSON.stringify(MERGES), merges) + '\n';
}

export function tokenizerConfig(specials: readonly string[], modelMaxLength = 2048): Record<string, unknown> {
  const [bos, eos, pad] = specials;
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    ...(bos !== undefined ? { bos_token: bos } : {}),
    ...(eos !== undefined ? { eos_token: eos } : {}),
    ...(pad !== undefined ? { pad_token: pad } : {}),
    ...(specials.length > 3 ? { additional_special_tokens: specials.slice(3) } : {}),
    // What tokenizer.json's post-processor does (transformers 4.x reads these; 5.x follows tokenizer.json).
    add_bos_token: bos !== undefined,
    add_eos_token: false,
    model_max_length: modelMaxLength,
    clean_up_tokenization_spaces: false,
  };
}

/** Parses `--special a,b,c` (commas separate; a token cannot contain a comma). */
export function parseSpecials(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [...DEFAULT_SPECIALS];
  const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((s) => s.trim());
  if (parts.some((p) => p.length === 0)) throw new OptionError(`--special has an empty token: ${JSON.stringify(value)}`);
  return parts;
}

export async function trainTokenizer(files: readonly string[], opts: TrainTokenizerOptions): Promise<TrainedTokenizer> {
  if (files.length === 0) throw new OptionError('name at least one training file');
  const unit = opts.unit ?? 'line';
  if (unit !== 'line' && unit !== 'file') throw new OptionError(`unit must be line or file, got ${String(unit)}`);
  const specials = [...(opts.specialTokens ?? DEFAULT_SPECIALS)];
  const t0 = performance.now();
  const counter = new WordCounter();
  const fileStats: TrainTokenizerStats['files'] = [];
  for (const f of files) fileStats.push({ path: f, ...(await readTexts(f, unit, counter)) });
  const texts = fileStats.reduce((s, f) => s + f.texts, 0);
  if (texts === 0) throw new InputError('the training files hold no text', { file: files[0] });
  const t1 = performance.now();
  const model = trainBpe(counter.counts, { vocabSize: opts.vocabSize, minFrequency: opts.minFrequency ?? 2, specialTokens: specials });
  const t2 = performance.now();
  const json = tokenizerJson(model);
  return {
    model,
    json,
    config: tokenizerConfig(specials, opts.modelMaxLength),
    stats: {
      files: fileStats,
      texts,
      distinctWords: counter.counts.size,
      totalWords: counter.total,
      vocabSize: model.tokens.length,
      merges: model.merges.length,
      stoppedBy: model.stoppedBy,
      seconds: { read: (t1 - t0) / 1000, train: (t2 - t1) / 1000, total: (performance.now() - t0) / 1000 },
    },
  };
}

/** Writes tokenizer.json at `out` and tokenizer_config.json beside it; returns both paths. */
export function saveTrainedTokenizer(t: TrainedTokenizer, out: string): { tokenizer: string; config: string } {
  const config = join(dirname(out), 'tokenizer_config.json');
  mkdirSync(dirname(out), { recursive: true });
  writeTextAtomic(out, t.json);
  writeJsonAtomic(config, t.config);
  return { tokenizer: out, config };
}

export function formatTrainStats(s: TrainTokenizerStats): string {
  const lines = [
    `texts: ${s.texts} from ${s.files.length} file(s)` + (s.files.some((f) => f.emptyLines > 0) ? ` (${s.files.reduce((a, f) => a + f.emptyLines, 0)} empty lines skipped)` : ''),
    `pre-tokens: ${s.totalWords} (${s.distinctWords} distinct)`,
    `vocabulary: ${s.vocabSize} (${s.merges} merges; stopped by ${s.stoppedBy})`,
    `time: read ${s.seconds.read.toFixed(2)} s, train ${s.seconds.train.toFixed(2)} s, total ${s.seconds.total.toFixed(2)} s`,
  ];
  return lines.join('\n');
}
