/**
 * `eyemulator model init`: a new HF model folder (config.json + model.safetensors [+ tokenizer]).
 * With `--tokenizer`, config.json gets the tokenizer's bos/eos/pad ids (tokenizer_config.json beside
 * it names them; see tokenizerSpecialIds) and a generation_config.json with the same ids is written,
 * as transformers' save_pretrained writes one, so generation stops on the EOS training appends.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { Model } from '../../../model/model.ts';
import type { Arch } from '../../../model/config.ts';
import { tokenizerFileVocabSize, tokenizerSpecialIds } from '../../../model/tokenizer.ts';
import { GENERATION_CONFIG_FILE, makeGenerationConfig } from '../../../model/generation-config.ts';
import { InputError, OptionError } from '../../../util/errors.ts';
import { writeJsonAtomic } from '../../../util/json.ts';
import { writeDirAtomic } from '../../../util/atomic-write.ts';
import { assertReplaceableModelDir } from './merge.ts';

/**
 * Vocabulary size of a tokenizer.json to size the embedding: largest id + 1, through the HF
 * `tokenizers` library (see tokenizerFileVocabSize; InputError naming the file on a bad one).
 */
export function tokenizerVocabSize(path: string): number {
  return tokenizerFileVocabSize(path);
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
      .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
      .example('$0 model init --arch llama --tokenizer tok/tokenizer.json --hidden 128 --layers 2 --heads 4 --seed 1 --out models/tiny', 'a small Llama sized to the tokenizer, its special ids in config.json'),
  handler: async (a) => {
    if (a.tokenizer && !existsSync(a.tokenizer as string)) throw new InputError('no such file', { file: a.tokenizer as string });
    const vocab = (a['vocab-size'] as number | undefined) ?? (a.tokenizer ? tokenizerVocabSize(a.tokenizer as string) : undefined);
    if (!vocab) throw new OptionError('give --vocab-size or --tokenizer');
    const special = a.tokenizer ? tokenizerSpecialIds(a.tokenizer as string) : { bos: null, eos: null, pad: null };
    for (const [k, id] of Object.entries(special))
      if (id !== null && id >= vocab) throw new OptionError(`--vocab-size ${vocab} is too small for the tokenizer's ${k} token id ${id}`);
    // The folder is written whole (filled beside --out, then swapped in): a kill leaves no half model.
    assertReplaceableModelDir(a.out as string);
    let i!: ReturnType<Model['info']>;
    await writeDirAtomic(a.out as string, async (tmp) => {
      const m = await Model.create(
        tmp,
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
          bosTokenId: special.bos ?? undefined,
          eosTokenId: special.eos ?? undefined,
          padTokenId: special.pad ?? undefined,
        },
        { seed: a.seed as number, tokenizer: a.tokenizer as string | undefined, device: a.device as string },
      );
      try { i = m.info(); } finally { m.dispose(); }
      if (a.tokenizer) writeJsonAtomic(join(tmp, GENERATION_CONFIG_FILE), makeGenerationConfig(special));
    });
    const where = i.device === 'cpu' ? '' : ` (created on ${i.device})`;
    console.log(`wrote ${a.out}: ${i.architecture}, ${i.parameters.toLocaleString('en')} parameters, ${i.tensors.length} tensors${where}`);
    if (a.tokenizer) console.log(`special token ids: bos ${special.bos}, eos ${special.eos}, pad ${special.pad} (config.json and ${GENERATION_CONFIG_FILE})`);
  },
};
export default init;
