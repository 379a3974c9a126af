import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Model } from '../../src/model/model.ts';
import { native } from '../../src/native/index.ts';
import { byteTokenizerJson, byteTokenizerConfig, BYTE_BOS, BYTE_EOS, BYTE_PAD, BYTE_VOCAB_SIZE } from '../../src/tokenizer/byte.ts';
import { tempDir } from '../helpers/tiny-model.ts';

const run = promisify(execFile);
const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: process.cwd() });

async function byteModel(): Promise<string> {
  const dir = join(tempDir(), 'm');
  const m = await Model.create(dir, { arch: 'llama', vocabSize: BYTE_VOCAB_SIZE, hiddenSize: 16, layers: 1, heads: 2, bosTokenId: BYTE_BOS, eosTokenId: BYTE_EOS, padTokenId: BYTE_PAD }, { seed: 1 });
  m.dispose();
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(byteTokenizerJson()));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(byteTokenizerConfig()));
  return dir;
}

test('model init/info/forward and generate from the command line', async (t) => {
  const dir = await byteModel();
  const info = JSON.parse((await cli(['model', 'info', dir, '--json'])).stdout);
  t.is(info.architecture, 'LlamaForCausalLM');
  t.is(info.tensorCount, 1 + 9 + 2);
  // forward with an adapter and the preference term
  const m = await Model.load(dir);
  m.addLora({ r: 2, seed: 3 });
  const adir = join(tempDir(), 'adapter');
  await m.saveAdapter(adir);
  m.dispose();
  const batch = join(tempDir(), 'b.json');
  writeFileSync(batch, JSON.stringify({ input_ids: [[256, 97, 98, 99, 100]], weights: [[1, 1, 2, 2, 1]], path_mask: [[0, 1, 0, 1, 0]] }));
  const out = join(tempDir(), 'o.safetensors');
  const r = await cli(['model', 'forward', '--model', dir, '--adapter', adir, '--batch', batch, '--out', out, '--reference', '--grads']);
  t.regex(r.stdout, /sft \d+\.\d+ {2}pref 0\.693147/);
  const st = native().readSafetensors(out);
  t.deepEqual(st.tensors.logits.shape, [1, 5, BYTE_VOCAB_SIZE]);
  t.deepEqual(st.tensors.token_ce.shape, [1, 4]);
  t.truthy(st.tensors['grad.base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight'], 'gradients of the adapters');
  t.falsy(st.tensors['grad.model.norm.weight'], 'no gradients for frozen base weights');
  // --reference without adapters: π_ref would be the model itself (L_pref = ln 2 for any batch): refused
  const noRef = await t.throwsAsync(cli(['model', 'forward', '--model', dir, '--batch', batch, '--out', out, '--reference']));
  t.regex((noRef as unknown as { stderr: string }).stderr, /--reference: .* has no LoRA adapters.*--adapter/);
  // generate: JSONL in, JSONL out
  const data = join(tempDir(), 'd.jsonl');
  writeFileSync(data, '{"id":"a","input":"int x;","reference":"int x;"}\n{"id":"b","input":"return 1;"}\n');
  const preds = join(tempDir(), 'p.jsonl');
  // --max-new is the old spelling of --max-new-tokens (a hidden alias); --json adds a summary on stdout
  const sum = JSON.parse((await cli(['generate', '--model', dir, '--data', data, '--task', 'translation', '--max-new', '5', '--out', preds, '--json'])).stdout);
  const lines = readFileSync(preds, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.is(sum.n, 2);
  t.is(sum.tokens, lines.reduce((x: number, l: { tokens: number }) => x + l.tokens, 0));
  t.deepEqual(lines.map((l) => l.id), ['a', 'b']);
  t.is(lines[0].reference, 'int x;');
  t.true(lines.every((l) => typeof l.prediction === 'string' && l.tokens <= 5));
  const bad = join(tempDir(), 'bad.jsonl');
  writeFileSync(bad, '{"id":"a","input":"x"}\n{"id":"b"}\n');
  const e = await t.throwsAsync(cli(['generate', '--model', dir, '--data', bad, '--out', preds]));
  t.regex((e as unknown as { stderr: string }).stderr, /bad\.jsonl:2: field "input"/);
});
