/**
 * `eyemulator tokenizer encode --model DIR (--text T | --file F) [--tokenizer F] [--no-special] [--json]`:
 * a text's ids, tokens and offsets exactly as training and generation feed them — the same
 * ModelTokenizer (src/model/tokenizer.ts) they load — plus which BOS/EOS were added and why, the
 * stop ids and pad id generation uses, and any disagreement between the folder's files.
 *
 * Output (text): a header, one line per token "index id token [start,end)", then the special-token
 * summary. `--json`: one object {ids, tokens, offsets, special_mask, add_special_tokens,
 * prompt_ids, bos, training_eos, post_processor, stop_ids, pad, files, notes}.
 * `--file`: the file's whole content is the text (UTF-8; a leading BOM is dropped).
 */
import { readFileSync, statSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { loadModelTokenizer, type EncodedText, type ModelTokenizer } from '../../../model/tokenizer.ts';
import { InputError, OptionError } from '../../../util/errors.ts';
import { stripBom } from '../../../util/json.ts';

interface Named { id: number; token: string | null }

function named(tok: ModelTokenizer, id: number): Named {
  return { id, token: tok.tokenizer.idToToken(id) };
}

function show(n: Named): string {
  return `${n.id} ${JSON.stringify(n.token)}`;
}

/** The report `tokenizer encode` prints (exported for tests). */
export async function encodeReport(tok: ModelTokenizer, text: string, addSpecialTokens: boolean) {
  const enc: EncodedText = await tok.encodeText(text, { addSpecialTokens });
  const prompt = await tok.encodePrompt(text);
  return {
    text,
    add_special_tokens: addSpecialTokens,
    ids: enc.ids,
    tokens: enc.tokens,
    offsets: enc.offsets,
    special_mask: enc.specialMask,
    /** What generation feeds for this text as a prompt (and what starts a training sequence). */
    prompt_ids: prompt.ids,
    post_processor: { from: tok.layout.from, prefix: tok.layout.prefix.map((id) => named(tok, id)), suffix: tok.layout.suffix.map((id) => named(tok, id)) },
    bos: tok.bosId === null ? null : named(tok, tok.bosId),
    training_eos: tok.eosId === null ? null : named(tok, tok.eosId),
    stop_ids: tok.generation.stopSources.map((s) => ({ ...named(tok, s.id), from: s.from })),
    pad: { ...named(tok, tok.padId), from: tok.generation.padFrom },
    files: tok.files,
    notes: tok.notes,
  };
}

export function formatEncodeReport(r: Awaited<ReturnType<typeof encodeReport>>): string {
  const lines: string[] = [];
  lines.push(`${r.ids.length} tokens (${r.add_special_tokens ? 'with' : 'without'} special tokens, as tokenizer(text) in transformers): ${JSON.stringify(r.ids)}`);
  const w = String(Math.max(r.ids.length - 1, 0)).length;
  r.ids.forEach((id, i) => {
    const [s, e] = r.offsets[i];
    lines.push(`  ${String(i).padStart(w)}  ${String(id).padStart(6)}  ${JSON.stringify(r.tokens[i])}${r.special_mask[i] ? ' (special)' : ''}  [${s},${e})`);
  });
  const same = r.prompt_ids.length === r.ids.length && r.prompt_ids.every((x, i) => x === r.ids[i]);
  lines.push(same ? 'generation feeds these ids as the prompt' : `generation feeds as the prompt: ${JSON.stringify(r.prompt_ids)}`);
  lines.push(`BOS added: ${r.bos ? show(r.bos) : 'none'}  (${r.post_processor.from})`);
  if (r.post_processor.suffix.length > 0) lines.push(`EOS added by the post-processor: ${r.post_processor.suffix.map(show).join(', ')} (not in generation prompts)`);
  lines.push(`training sequence: ${r.bos ? 'BOS · ' : ''}prompt · target · EOS ${r.training_eos ? show(r.training_eos) : '(none: training refuses)'}`);
  lines.push(`stop ids: ${r.stop_ids.length ? r.stop_ids.map((s) => `${show(s)} (${s.from})`).join(', ') : 'none (runs to max new tokens)'}`);
  lines.push(`pad id: ${show(r.pad)} (${r.pad.from})`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

/** Largest --file `tokenizer encode` reads (16 MiB). */
export const MAX_ENCODE_FILE_BYTES = 16 * 2 ** 20;

const encodeCmd: CommandModule = {
  command: 'encode',
  describe: 'show the ids, tokens and offsets of a text exactly as training and generation feed them, with BOS/EOS, stop and pad ids',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'HF model folder (tokenizer.json, tokenizer_config.json, config.json, generation_config.json)' })
      .option('tokenizer', { type: 'string', describe: 'a tokenizer.json to use instead of the folder\'s' })
      .option('text', { type: 'string', describe: 'the text to encode' })
      .option('file', { type: 'string', describe: 'encode this file\'s whole content instead' })
      .option('special', { type: 'boolean', default: true, describe: 'add the special tokens the tokenizer adds (--no-special: without)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' })
      .example('$0 tokenizer encode --model models/demo-base --text "int x = 1;"', 'ids, tokens, offsets, and which BOS/EOS are added'),
  handler: async (a) => {
    if ((a.text === undefined) === (a.file === undefined)) throw new OptionError('give exactly one of --text or --file');
    let text: string;
    if (a.file !== undefined) {
      // Every token is printed with its offsets: beyond a few MB the report itself would take
      // gigabytes (one object per token), so larger files are refused before reading them.
      let size: number;
      try {
        size = statSync(a.file as string).size;
        text = size > MAX_ENCODE_FILE_BYTES ? '' : stripBom(readFileSync(a.file as string, 'utf8'));
      } catch (e) {
        throw new InputError(`cannot read (${(e as Error).message})`, { file: a.file as string }, { cause: e });
      }
      if (size > MAX_ENCODE_FILE_BYTES)
        throw new InputError(`${size} bytes, more than the ${MAX_ENCODE_FILE_BYTES / 2 ** 20} MiB tokenizer encode shows token by token: encode a part of it`, { file: a.file as string });
    } else text = String(a.text);
    const tok = await loadModelTokenizer(a.model as string, a.tokenizer as string | undefined);
    const r = await encodeReport(tok, text, a.special as boolean);
    console.log(a.json ? JSON.stringify(r) : formatEncodeReport(r));
  },
};
export default encodeCmd;
