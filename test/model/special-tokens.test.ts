/**
 * Issue 13 end to end on a real (tiny) HF folder: a UTF-8 BOM in config.json /
 * generation_config.json / tokenizer_config.json works in `model info` and generation;
 * generation stops on every id of generation_config.json's eos_token_id list; `model init
 * --tokenizer` writes bos/eos/pad ids and a generation_config.json. Needs the native addon.
 */
import test from 'ava';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { Model } from '../../src/model/model.ts';
import { loadModelTokenizer } from '../../src/model/tokenizer.ts';
import { generateText } from '../../src/model/generation.ts';
import { describeModelDir } from '../../src/cli/commands/model/info.ts';
import modelCommand from '../../src/cli/commands/model.ts';
import { saveTrainedTokenizer, trainTokenizer } from '../../src/tokenizer/index.ts';
import { tempDir } from '../helpers/tiny-model.ts';

const BOM_DIR = join(import.meta.dirname, '..', 'fixtures', 'hf', 'tokenizers', 'bom');

test('a config.json with a UTF-8 BOM works in model info and generation', async (t) => {
  t.is(readFileSync(join(BOM_DIR, 'config.json'))[0], 0xef);
  const info = describeModelDir(BOM_DIR) as { architecture?: string; parameters?: number };
  t.truthy(info);
  const tok = await loadModelTokenizer(BOM_DIR);
  const model = await Model.load(BOM_DIR);
  try {
    const [g] = await generateText(model, tok, ['int a'], { maxNewTokens: 4 });
    t.true(g.tokens >= 1 && g.tokens <= 4);
  } finally {
    model.dispose();
  }
});

test('generation stops on the second id of generation_config.json eos_token_id [a, b] (config.json names only a)', async (t) => {
  const dir = tempDir();
  cpSync(BOM_DIR, dir, { recursive: true });
  const model = await Model.load(dir);
  try {
    // The first greedy token of this prompt, with no EOS at all.
    const prompt = [0, 90, 91];
    const [free] = await model.generate([prompt], { maxNewTokens: 3, eosIds: [] });
    const first = free.tokens[0];
    const other = first === 1 ? 3 : 1;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8').replace(/^\uFEFF/, '')), eos_token_id: other }));
    writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 0, eos_token_id: [other, first] }));
    const tok = await loadModelTokenizer(dir);
    t.deepEqual(tok.eosIds, [other, first]);
    const [g] = await model.generate([prompt], { maxNewTokens: 3, eosIds: tok.eosIds, padId: tok.padId });
    t.is(g.finish, 'eos');
    t.deepEqual([...g.tokens], [first]);
  } finally {
    model.dispose();
  }
});

test.serial('model init --tokenizer writes bos/eos/pad ids in config.json and a generation_config.json', async (t) => {
  const dir = tempDir();
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, 'public int add(int a, int b) { return a + b; }\nint x = 1;\n');
  saveTrainedTokenizer(await trainTokenizer([corpus], { vocabSize: 270 }), join(dir, 'tok', 'tokenizer.json'));
  const out = join(dir, 'model');
  const log = console.log;
  console.log = () => {};
  try {
    await yargs().command(modelCommand).strict().fail((m, e) => { throw e ?? new Error(m); })
      .parseAsync(['model', 'init', '--arch', 'llama', '--tokenizer', join(dir, 'tok', 'tokenizer.json'), '--hidden', '16', '--layers', '1', '--heads', '2', '--seed', '1', '--out', out]);
  } finally {
    console.log = log;
  }
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  t.like(cfg, { bos_token_id: 0, eos_token_id: 1, pad_token_id: 2 });
  t.deepEqual(JSON.parse(readFileSync(join(out, 'generation_config.json'), 'utf8')), { bos_token_id: 0, eos_token_id: 1, pad_token_id: 2 });
  const tok = await loadModelTokenizer(out);
  t.is(tok.bosId, 0);
  t.is(tok.eosId, 1);
  t.deepEqual(tok.eosIds, [1]);
  t.is(tok.padId, 2);
  t.deepEqual(tok.notes, []);
});
