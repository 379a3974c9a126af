/**
 * The model folder's tokenizer.json through the official HF `tokenizers` binding, with what
 * generation needs: prompt encoding (BOS as the model was trained), decoding, and the EOS ids from
 * config.json / tokenizer_config.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { InputError } from '../util/errors.ts';

export interface ModelTokenizer {
  tokenizer: Tokenizer;
  bosId: number | null;
  eosIds: number[];
  padId: number;
  encode(text: string): Promise<number[]>;
  decode(ids: ArrayLike<number>): Promise<string>;
}

function readJson(path: string): Record<string, any> | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message})`, { file: path });
  }
}

/** Loads `<dir>/tokenizer.json` (or an explicit path) and the special ids of the model in `dir`. */
export async function loadModelTokenizer(dir: string, tokenizerPath?: string): Promise<ModelTokenizer> {
  const path = tokenizerPath ?? join(dir, 'tokenizer.json');
  if (!existsSync(path)) throw new InputError('no tokenizer.json: pass --tokenizer or put one in the model folder', { file: path });
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromFile(path);
  } catch (e) {
    throw new InputError(`not a loadable HF tokenizer.json (${(e as Error).message})`, { file: path });
  }
  const cfg = readJson(join(dir, 'config.json')) ?? {};
  const tcfg = readJson(join(dir, 'tokenizer_config.json')) ?? {};
  const idOf = (tok: unknown): number | null => {
    const s = typeof tok === 'string' ? tok : (tok as { content?: string } | null)?.content;
    if (!s) return null;
    const id = tokenizer.tokenToId(s);
    return id === undefined || id === null ? null : id;
  };
  const eos = new Set<number>();
  for (const e of [cfg.eos_token_id].flat()) if (Number.isInteger(e)) eos.add(e);
  const te = idOf(tcfg.eos_token);
  if (te !== null) eos.add(te);
  const bosId = Number.isInteger(cfg.bos_token_id) ? (cfg.bos_token_id as number) : idOf(tcfg.bos_token);
  const padId = Number.isInteger(cfg.pad_token_id) ? (cfg.pad_token_id as number) : (idOf(tcfg.pad_token) ?? [...eos][0] ?? 0);
  return {
    tokenizer,
    bosId,
    eosIds: [...eos],
    padId,
    async encode(text: string): Promise<number[]> {
      const ids = (await tokenizer.encode(text, null, { addSpecialTokens: true })).getIds();
      // Models trained here start every sequence with BOS; tokenizers without a post-processor
      // do not add it, so add it when the config names one and it is missing.
      return bosId !== null && ids[0] !== bosId ? [bosId, ...ids] : ids;
    },
    async decode(ids: ArrayLike<number>): Promise<string> {
      return tokenizer.decode(Array.from(ids), true);
    },
  };
}
