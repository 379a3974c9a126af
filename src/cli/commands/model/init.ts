/** `eyemulator model init`: a new HF model folder (config.json + model.safetensors [+ tokenizer]). */
import { existsSync, readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { Model } from '../../../model/model.ts';
import type { Arch } from '../../../model/config.ts';
import { InputError, OptionError } from '../../../util/errors.ts';

/** Vocabulary size of a tokenizer.json (model.vocab + added tokens), to size the embedding. */
export function tokenizerVocabSize(path: string): number {
  let j: any;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`not a readable tokenizer.json (${(e as Error).message})`, { file: path });
  }
  const vocab = j?.model?.vocab;
  if (!vocab || typeof vocab !== 'object') throw new InputError('no model.vocab object: expected a HF tokenizer.json', { file: path });
  const ids: number[] = Array.isArray(vocab) ? vocab.map((_: unknown, i: number) => i) : Object.values(vocab).map(Number);
  for (const t of j.added_tokens ?? []) ids.push(Number(t.id));
  return Math.max(...ids) + 1;
}

const init: CommandModule = {
  command: 'init',
  describe: 'write a freshly initialised HF model folder (HF initialisation, seeded)',
  builder: (y) =>
    y
      .option('arch', { choices: ['llama', 'qwen2', 'gpt_bigcode'], demandOption: true, describe: 'LlamaForCausalLM, Qwen2ForCausalLM or GPTBigCodeForCausalLM (StarCoder)' })
      .option('vocab-size', { type: 'number', describe: 'vocabulary size (default: from --tokenizer)' })
      .option('hidden', { type: 'number', default: 256, describe: 'hidden_size' })
      .option('layers', { type: 'number', default: 4, describe: 'num_hidden_layers' })
      .option('heads', { type: 'number', default: 4, describe: 'num_attention_heads' })
      .option('kv-heads', { type: 'number', describe: 'num_key_value_heads (GQA; default = heads)' })
      .option('intermediate', { type: 'number', describe: 'intermediate_size (default ≈ 8/3·hidden)' })
      .option('max-positions', { type: 'number', default: 2048, describe: 'max_position_embeddings' })
      .option('tie-embeddings', { type: 'boolean', default: false, describe: 'tie_word_embeddings' })
      .option('tokenizer', { type: 'string', describe: 'tokenizer.json to copy into the folder' })
      .option('seed', { type: 'number', demandOption: true, describe: 'initialisation seed' })
      .option('device', { type: 'string', default: 'cpu', describe: 'cpu, cuda or cuda:N to create the model on (weights are drawn on the CPU, so a seed gives the same weights anywhere; CUDA needs a CUDA libtorch build)' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder' }),
  handler: async (a) => {
    if (a.tokenizer && !existsSync(a.tokenizer as string)) throw new InputError('no such file', { file: a.tokenizer as string });
    const vocab = (a['vocab-size'] as number | undefined) ?? (a.tokenizer ? tokenizerVocabSize(a.tokenizer as string) : undefined);
    if (!vocab) throw new OptionError('give --vocab-size or --tokenizer');
    const m = await Model.create(
      a.out as string,
      {
        arch: a.arch as Arch,
        vocabSize: vocab,
        hiddenSize: a.hidden as number,
        layers: a.layers as number,
        heads: a.heads as number,
        kvHeads: a['kv-heads'] as number | undefined,
        intermediateSize: a.intermediate as number | undefined,
        maxPositions: a['max-positions'] as number,
        tieEmbeddings: a['tie-embeddings'] as boolean,
      },
      { seed: a.seed as number, tokenizer: a.tokenizer as string | undefined, device: a.device as string },
    );
    const i = m.info();
    m.dispose();
    const where = i.device === 'cpu' ? '' : ` (created on ${i.device})`;
    console.log(`wrote ${a.out}: ${i.architecture}, ${i.parameters.toLocaleString('en')} parameters, ${i.tensors.length} tensors${where}`);
  },
};
export default init;
