/**
 * The `device` option. On a CPU-only libtorch (Debian's, CI): `device: 'cpu'` is the default, bit
 * for bit; a CUDA device is a typed argument error that names the cause (and the process goes on);
 * a malformed device is a typed argument error. With a CUDA build and a GPU the CUDA case loads
 * instead (scripts/device-check.sh compares CPU and CUDA numerically).
 */
import test from 'ava';
import { Model } from '../../src/model/model.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { native } from '../../src/native/index.ts';
import { EngineArgumentError } from '../../src/native/errors.ts';
import { randomBatch, tempDir, writeConfig, TINY, PLAIN_TRAINER_OPTIONS } from '../helpers/tiny-model.ts';

const same = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

test("device: 'cpu' is the default, bit for bit: init, load, forward, grads, training with LoRA dropout and γ, generation", async (t) => {
  const { configPath } = writeConfig(TINY);
  const dflt = await Model.fromConfig(configPath, { seed: 3 });
  const cpu = await Model.fromConfig(configPath, { seed: 3, device: 'cpu' });
  t.is(dflt.info().device, 'cpu');
  t.is(cpu.device, 'cpu');
  const b = randomBatch(TINY.vocabSize);
  const [fa, fb] = [await dflt.forward(b, { grads: true, attentionLayers: [0] }), await cpu.forward(b, { grads: true, attentionLayers: [0] })];
  t.true(same(fa.logits.data, fb.logits.data));
  t.true(same(fa.tokenCe.data, fb.tokenCe.data));
  t.is(fa.loss, fb.loss);
  for (const k of Object.keys(fa.grads!)) t.true(same(fa.grads![k].data, fb.grads![k].data), k);
  t.true(same(fa.attention!['0'].data, fb.attention!['0'].data));

  // save → load with an explicit device gives the same model
  const dir = tempDir();
  await cpu.save(dir);
  const loaded = await Model.load(dir, { device: 'cpu' });
  t.is(loaded.device, 'cpu');
  // Same options as `fa` (attention captured: the explicit kernel); without capture libtorch >= 2
  // runs SDPA, whose summation order differs in the last bits.
  t.true(same((await loaded.forward(b, { grads: true, attentionLayers: [0] })).logits.data, fa.logits.data));
  loaded.dispose();

  // LoRA with dropout (the seeded CPU generator) and the preference term train identically
  const pathMask = new Uint8Array(b.inputIds.length).map((_, i) => (i % 3 === 0 ? 1 : 0));
  const losses: number[][] = [];
  for (const m of [dflt, cpu]) {
    m.addLora({ r: 4, alpha: 8, dropout: 0.1, seed: 5 });
    const tr = new Trainer(m, { ...PLAIN_TRAINER_OPTIONS, lr: 1e-2, gamma: 0.1, beta: 0.1, normalizeByWeights: true });
    const l: number[] = [];
    for (let i = 0; i < 4; i++) l.push((await tr.step({ ...b, pathMask })).loss);
    losses.push(l);
    tr.dispose();
  }
  t.deepEqual(losses[0], losses[1]);
  const name = dflt.lora!.tensors[1];
  t.true(same(dflt.getParameter(name).data, cpu.getParameter(name).data));

  const prompts = [[1, 2, 3], [4, 5]];
  const [ga, gb] = [await dflt.generate(prompts, { maxNewTokens: 6, beams: 1 }), await cpu.generate(prompts, { maxNewTokens: 6, beams: 1 })];
  for (let i = 0; i < prompts.length; i++) {
    t.deepEqual([...ga[i].tokens], [...gb[i].tokens]);
    t.true(same(ga[i].logprobs, gb[i].logprobs));
  }
  const [ba, bb] = [await dflt.generate([prompts[0]], { maxNewTokens: 4, beams: 3 }), await cpu.generate([prompts[0]], { maxNewTokens: 4, beams: 3 })];
  t.deepEqual([...ba[0].tokens], [...bb[0].tokens]);
  dflt.dispose();
  cpu.dispose();
});

test("device: 'cuda' without a CUDA libtorch is a typed argument error that says why; the process goes on", async (t) => {
  const v = native().version();
  const { configPath, dir } = writeConfig(TINY);
  if (v.cuda) {
    // A CUDA build on a machine with a GPU: the model is created there instead.
    const m = await Model.fromConfig(configPath, { seed: 1, device: 'cuda' });
    t.is(m.device, 'cuda:0');
    m.dispose();
    return;
  }
  for (const device of ['cuda', 'cuda:0', 'cuda:1']) {
    const e = await t.throwsAsync(Model.fromConfig(configPath, { seed: 1, device }), { instanceOf: EngineArgumentError });
    t.is((e as EngineArgumentError).code, 'EYEMULATOR_ARGUMENT');
    t.regex(e!.message, /CUDA/);
    t.regex(e!.message, new RegExp(`device ${device} requested`));
    if (!v.cudaBuilt) {
      t.regex(e!.message, /no CUDA \(libtorch \d+\.\d+\.\d+, CPU\)/);
      t.regex(e!.message, /TORCH_DIR=/);
    }
  }
  // load takes the same path
  const m = await Model.fromConfig(configPath, { seed: 1 });
  await m.save(dir);
  await t.throwsAsync(Model.load(dir, { device: 'cuda' }), { instanceOf: EngineArgumentError, message: /CUDA/ });
  // still alive: the CPU model works after the refusals
  const r = await m.forward(randomBatch(TINY.vocabSize));
  t.true(Number.isFinite(r.loss));
  m.dispose();
});

test('a malformed device is a typed argument error naming it', async (t) => {
  const { configPath, dir } = writeConfig(TINY);
  for (const device of ['bogus', 'CUDA', 'cuda:', 'cuda:x', 'cuda:-1', 'gpu', 'cpu:0', '']) {
    const e = await t.throwsAsync(Model.fromConfig(configPath, { seed: 1, device }), { instanceOf: EngineArgumentError });
    t.is((e as EngineArgumentError).code, 'EYEMULATOR_ARGUMENT');
    t.true(e!.message.includes(`unknown device "${device}"`), e!.message);
  }
  await t.throwsAsync(Model.load(dir, { device: 'bogus' }), { instanceOf: EngineArgumentError, message: /unknown device "bogus"/ });
  // a non-string device is an argument error too
  await t.throwsAsync(Model.fromConfig(configPath, { seed: 1, device: 7 as unknown as string }), { instanceOf: EngineArgumentError });
});
