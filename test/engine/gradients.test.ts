import test from 'ava';
import { tinyModel, randomBatch, TINY } from '../helpers/tiny-model.ts';
import { Rng } from '../../src/util/rng.ts';

test('gradients of the weighted loss match central finite differences (float64)', async (t) => {
  const { model } = await tinyModel({ ...TINY, layers: 1 }, { dtype: 'float64', seed: 11 });
  const b = randomBatch(TINY.vocabSize, 2, 6, 9);
  const res = await model.forward(b, { grads: true });
  const names = [
    'model.embed_tokens.weight',
    'model.layers.0.self_attn.q_proj.weight',
    'model.layers.0.self_attn.k_proj.weight',
    'model.layers.0.self_attn.v_proj.weight',
    'model.layers.0.self_attn.o_proj.weight',
    'model.layers.0.mlp.gate_proj.weight',
    'model.layers.0.mlp.down_proj.weight',
    'model.layers.0.input_layernorm.weight',
    'model.norm.weight',
    'lm_head.weight',
  ];
  const r = new Rng(4);
  const eps = 1e-5;
  let checked = 0;
  for (const name of names) {
    const g = res.grads![name].data;
    const w = Float64Array.from(model.getParameter(name).data);
    // Check the largest-gradient entry plus random ones (embedding rows of unused ids have zero grad).
    let imax = 0;
    for (let i = 0; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[imax])) imax = i;
    for (const i of [imax, r.int(g.length), r.int(g.length)]) {
      const orig = w[i];
      w[i] = orig + eps; model.setParameter(name, w);
      const lp = (await model.forward(b)).loss;
      w[i] = orig - eps; model.setParameter(name, w);
      const lm = (await model.forward(b)).loss;
      w[i] = orig; model.setParameter(name, w);
      const fd = (lp - lm) / (2 * eps);
      const err = Math.abs(fd - g[i]);
      t.true(err <= 1e-6 * Math.max(Math.abs(fd), Math.abs(g[i])) + 1e-9, `${name}[${i}]: analytic ${g[i]} vs fd ${fd}`);
      checked++;
    }
  }
  t.is(checked, names.length * 3);
  model.dispose();
});
