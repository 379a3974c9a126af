/** `eyemulator model info DIR [--json]`: architecture, parameters, dtype, tensors — header only, no libtorch. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { readSafetensorsHeader, type HeaderTensor } from '../../../model/safetensors-header.ts';
import { InputError } from '../../../util/errors.ts';

export function describeModelDir(dir: string) {
  const cfgPath = join(dir, 'config.json');
  if (!existsSync(cfgPath)) throw new InputError('no config.json: not a Hugging Face model folder', { file: dir });
  let cfg: Record<string, any>;
  try {
    cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message})`, { file: cfgPath });
  }
  const files: string[] = [];
  if (existsSync(join(dir, 'model.safetensors'))) files.push('model.safetensors');
  else if (existsSync(join(dir, 'model.safetensors.index.json'))) {
    const idx = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    files.push(...new Set(Object.values(idx.weight_map ?? {}) as string[]));
  } else throw new InputError('no model.safetensors or model.safetensors.index.json', { file: dir });
  const tensors: HeaderTensor[] = files.flatMap((f) => readSafetensorsHeader(join(dir, f)).tensors);
  const numel = (t: HeaderTensor) => t.shape.reduce((a, b) => a * b, 1);
  const dtypes = [...new Set(tensors.map((t) => t.dtype))];
  return {
    dir,
    architecture: (cfg.architectures?.[0] as string) ?? cfg.model_type ?? 'unknown',
    parameters: tensors.reduce((a, t) => a + numel(t), 0),
    dtype: dtypes.join(','),
    tensorCount: tensors.length,
    files,
    config: {
      vocab_size: cfg.vocab_size, hidden_size: cfg.hidden_size, num_hidden_layers: cfg.num_hidden_layers,
      num_attention_heads: cfg.num_attention_heads, num_key_value_heads: cfg.num_key_value_heads,
      intermediate_size: cfg.intermediate_size, tie_word_embeddings: cfg.tie_word_embeddings ?? false,
    },
    tensors: tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape })),
  };
}

const info: CommandModule = {
  command: 'info <dir>',
  describe: 'architecture, parameter count, dtype and tensors of a HF model folder',
  builder: (y) =>
    y.positional('dir', { type: 'string', demandOption: true }).option('json', { type: 'boolean', default: false }),
  handler: (a) => {
    const d = describeModelDir(a.dir as string);
    if (a.json) { console.log(JSON.stringify(d)); return; }
    console.log(`${d.dir}\n  architecture  ${d.architecture}\n  parameters    ${d.parameters.toLocaleString('en')}\n  dtype         ${d.dtype}\n  tensors       ${d.tensorCount} in ${d.files.join(', ')}`);
    for (const [k, v] of Object.entries(d.config)) if (v !== undefined) console.log(`  ${k.padEnd(22)}${v}`);
  },
};
export default info;
