/** Stop ids and pad id: generation_config.json ∪ config.json eos_token_id (src/model/generation-config.ts). */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generationIds, makeGenerationConfig, readGenerationConfig, specialIdFields } from '../../src/model/generation-config.ts';
import { InputError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers/tiny-model.ts';

const f = (o: Record<string, unknown>, file = 'config.json') => specialIdFields(o, file);

test('Llama-3-Instruct: config.json eos int, generation_config.json eos list → stop on every listed id, gen config first', (t) => {
  const g = generationIds({ generationConfig: f({ eos_token_id: [128001, 128009] }, 'generation_config.json'), config: f({ eos_token_id: 128009 }), trainingEos: 128009, tokenizerPad: null });
  t.deepEqual(g.stopIds, [128001, 128009]);
  t.is(g.padId, 128001, 'HF pads with eos[0] when no pad id is set');
  t.deepEqual(g.notes, []);
});

test('union: an EOS only config.json names is kept, with a note saying HF would not stop there', (t) => {
  const g = generationIds({ generationConfig: f({ eos_token_id: 5 }, 'generation_config.json'), config: f({ eos_token_id: [7, 5] }), trainingEos: 5, tokenizerPad: null });
  t.deepEqual(g.stopIds, [5, 7]);
  t.is(g.notes.length, 1);
  t.regex(g.notes[0], /HF's generate stops only on the latter/);
});

test('no generation_config.json: config.json alone (as HF builds it from config.json)', (t) => {
  const g = generationIds({ generationConfig: null, config: f({ eos_token_id: 2, pad_token_id: 0 }), trainingEos: 2, tokenizerPad: 3 });
  t.deepEqual(g.stopIds, [2]);
  t.is(g.padId, 0);
  t.is(g.padFrom, 'config.json');
});

test('pad: generation_config.json, then config.json, then the tokenizer, then stop ids[0], then 0', (t) => {
  t.is(generationIds({ generationConfig: f({ pad_token_id: 9 }), config: f({ pad_token_id: 8 }), trainingEos: null, tokenizerPad: 7 }).padId, 9);
  t.is(generationIds({ generationConfig: f({}), config: f({}), trainingEos: null, tokenizerPad: 7 }).padId, 7);
  t.is(generationIds({ generationConfig: null, config: f({ eos_token_id: 4 }), trainingEos: null, tokenizerPad: null }).padId, 4);
  t.is(generationIds({ generationConfig: null, config: null, trainingEos: null, tokenizerPad: null }).padId, 0);
});

test('no eos_token_id anywhere: stop on the EOS training appends (noted: HF would run to max length); none at all → []', (t) => {
  const g = generationIds({ generationConfig: null, config: f({}), trainingEos: 3, tokenizerPad: null });
  t.deepEqual(g.stopIds, [3]);
  t.regex(g.notes[0], /HF's generate would not stop/);
  const n = generationIds({ generationConfig: null, config: f({}), trainingEos: null, tokenizerPad: null });
  t.deepEqual(n.stopIds, []);
  t.regex(n.notes[0], /runs to the maximum/);
});

test('malformed ids and ids outside the vocabulary are InputErrors naming file and field', (t) => {
  t.throws(() => f({ eos_token_id: '2' }, 'generation_config.json'), { instanceOf: InputError, message: /generation_config\.json: field "eos_token_id"/ });
  t.throws(() => f({ eos_token_id: [1, -1] }), { instanceOf: InputError, message: /config\.json: field "eos_token_id"/ });
  t.throws(() => f({ pad_token_id: 1.5 }), { instanceOf: InputError, message: /field "pad_token_id"/ });
  t.throws(() => generationIds({ generationConfig: f({ eos_token_id: 300 }, '/m/generation_config.json'), config: null, vocabSize: 256, trainingEos: null, tokenizerPad: null }),
    { instanceOf: InputError, message: /\/m\/generation_config\.json: eos_token_id 300 is not below config\.json vocab_size 256/ });
});

test('readGenerationConfig: BOM accepted, missing → null; makeGenerationConfig leaves null ids out', (t) => {
  const dir = tempDir();
  t.is(readGenerationConfig(dir), null);
  writeFileSync(join(dir, 'generation_config.json'), '\uFEFF' + JSON.stringify({ eos_token_id: [1, 62], bos_token_id: 0 }));
  t.deepEqual(readGenerationConfig(dir), { file: join(dir, 'generation_config.json'), bos: 0, eos: [1, 62], pad: null, ignored: [] });
  t.deepEqual(makeGenerationConfig({ bos: 0, eos: 1, pad: null }), { bos_token_id: 0, eos_token_id: 1 });
});

test('decoding settings we do not apply (Llama-3-Instruct samples by default) are named in a note, HF defaults are not', (t) => {
  const dir = tempDir();
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 128000, do_sample: true, temperature: 0.6, top_p: 0.9, eos_token_id: [128001, 128009], max_length: 20, num_beams: 1, repetition_penalty: 1.1 }));
  const gc = readGenerationConfig(dir)!;
  t.deepEqual(gc.ignored, ['do_sample: true', 'repetition_penalty: 1.1']);
  const g = generationIds({ generationConfig: gc, config: null, trainingEos: 128009, tokenizerPad: null });
  t.true(g.notes.some((n) => n.includes('do_sample: true, repetition_penalty: 1.1') && n.includes('decodes greedily')));
});
