// Dropout rates in config.json are not applied by the engine (eval-mode forward, also in training):
// a run says so rather than ignoring them silently (issue 13, "nothing is silently ignored").
import test from 'ava';
import { unappliedDropout } from '../../src/model/config.ts';

test('dropout rates above 0 are named; zero, absent or non-numeric ones are not', (t) => {
  // StarCoder's config.json (gpt_bigcode) sets all three GPT-2 style rates to 0.1.
  t.deepEqual(unappliedDropout({ model_type: 'gpt_bigcode', attn_pdrop: 0.1, resid_pdrop: 0.1, embd_pdrop: 0.1 }), ['resid_pdrop=0.1', 'embd_pdrop=0.1', 'attn_pdrop=0.1']);
  t.deepEqual(unappliedDropout({ model_type: 'qwen2', attention_dropout: 0.0 }), []);
  t.deepEqual(unappliedDropout({ model_type: 'llama' }), []);
  t.deepEqual(unappliedDropout({ model_type: 'llama', attention_dropout: 0.05, hidden_dropout: '0.1' }), ['attention_dropout=0.05']);
});
