// A tokenizer with more tokens than the model has embeddings is refused up front, naming both files
// (found by a newcomer: the mismatch used to surface after data preparation as an out-of-range id).
import test from 'ava';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertTokenizerFitsModel, loadModelTokenizer } from '../../src/model/tokenizer.ts';
import { InputError } from '../../src/util/errors.ts';

const TOK = fileURLToPath(new URL('../fixtures/hf/tokenizers/llama3/', import.meta.url));

test('a tokenizer larger than vocab_size is an InputError naming tokenizer.json; one that fits passes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tokfit-'));
  copyFileSync(join(TOK, 'tokenizer.json'), join(dir, 'tokenizer.json'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'llama', vocab_size: 96 }));
  const tok = await loadModelTokenizer(dir);
  const n = tok.tokenizer.getVocabSize(true);
  t.true(n > 96, `fixture tokenizer has ${n} tokens`);
  const e = t.throws(() => assertTokenizerFitsModel(tok, 96), { instanceOf: InputError });
  t.regex(e!.message, /tokenizer\.json.*has \d+ tokens but the model has 96 embeddings/);
  t.notThrows(() => assertTokenizerFitsModel(tok, n));
  t.notThrows(() => assertTokenizerFitsModel(tok, n + 64)); // HF pads vocab_size: fine
});
