/**
 * Fuzz targets: for each loader, seed files (valid inputs taken from test/fixtures and ../shared),
 * seeded mutations, and the CLI command that feeds the mutated file to the loader.
 *
 * Every mutation states what a correct loader must do with it:
 *   'invalid'  — it breaks a rule of the format (a wrong header length, overlapping offsets, an id
 *                past the vocabulary, a mask of 0.5, ...): the CLI must end in a typed error;
 *   'valid'    — it provably keeps the input valid (whitespace, key order, CRLF line ends, a value
 *                replaced by another value of its domain): the CLI must accept it;
 * so "accepted" is only counted as fine for a 'valid' mutation; an accepted 'invalid' mutation is
 * accepted garbage.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Rng } from '../../src/util/rng.ts';

/**
 * 'reference': whether the input is valid is decided by the format's reference reader (see
 * referenceAccepts in run.ts), for random mutations whose effect cannot be stated up front.
 */
export type Expect = 'invalid' | 'valid' | 'reference';

export interface Mutation {
  /** Short name of what was done (the table groups by it). */
  kind: string;
  expect: Expect;
  /** Files to write into the case folder (relative path → content). */
  files: Record<string, Buffer | string>;
  /** The CLI argv, given the case folder. */
  argv: (dir: string) => string[];
}

export interface Target {
  name: string;
  /** Builds the seeds under `seeds` (once); false when the seed data is missing (target skipped). */
  prepare(seeds: string): Promise<boolean>;
  mutate(rng: Rng, seeds: string): Mutation;
}

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIX = join(repoRoot, 'test', 'fixtures');
const SHARED = join(repoRoot, '..', 'shared', 'data');

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

// --- JSON helpers -----------------------------------------------------------------------------------

type J = any;

/** Re-serialises with random (valid) whitespace: indentation, spaces after separators, a final newline. */
function reformat(rng: Rng, v: J): string {
  const style = rng.int(4);
  if (style === 0) return JSON.stringify(v, null, 1 + rng.int(4));
  if (style === 1) return JSON.stringify(v, null, '\t') + '\n';
  if (style === 2) return ' \n' + JSON.stringify(v) + '\r\n  ';
  return JSON.stringify(v, null, 2).replace(/\n/g, '\r\n');
}

/** The same object with its top-level keys in another order (JSON objects are unordered). */
function reorder(rng: Rng, v: Record<string, J>): Record<string, J> {
  const keys = Object.keys(v);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [keys[i], keys[j]] = [keys[j], keys[i]];
  }
  const out: Record<string, J> = {};
  for (const k of keys) out[k] = v[k];
  return out;
}

const NOT_OBJECTS = ['null', '[]', '5', '"x"', 'true', '[{}]'];
const clone = (v: J): J => structuredClone(v);

/** A JSON text cut before its last character (never valid JSON for an object or array). */
function truncated(rng: Rng, text: string): string {
  const end = text.trimEnd().length - 1;
  return text.slice(0, 1 + rng.int(Math.max(1, end - 1)));
}

/** Generic document-level mutations of a JSON object file. */
function jsonDocMutation(rng: Rng, doc: Record<string, J>): { kind: string; expect: Expect; text: string } {
  switch (rng.int(4)) {
    case 0: return { kind: 'json:not-an-object', expect: 'invalid', text: pick(rng, NOT_OBJECTS) };
    case 1: return { kind: 'json:truncated', expect: 'invalid', text: truncated(rng, JSON.stringify(doc, null, 1)) };
    case 2: return { kind: 'json:whitespace', expect: 'valid', text: reformat(rng, doc) };
    default: return { kind: 'json:key-order', expect: 'valid', text: JSON.stringify(reorder(rng, doc)) };
  }
}

// --- safetensors --------------------------------------------------------------------------------------

interface St { header: Record<string, J>; data: Buffer }

function readSt(path: string): St {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  return { header: JSON.parse(buf.subarray(8, 8 + n).toString('utf8')), data: buf.subarray(8 + n) };
}

function stBytes(headerText: string, data: Buffer, lengthDelta = 0, pad = true): Buffer {
  let h = headerText;
  if (pad) while ((h.length + 8) % 8 !== 0) h += ' ';
  const hb = Buffer.from(h, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Math.max(0, hb.length + lengthDelta)));
  return Buffer.concat([len, hb, data]);
}

const DTYPE_BYTES: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, I16: 2, U8: 1, I8: 1, BOOL: 1 };

/** Mutations of a safetensors file; every one breaks the format except 'st:whitespace', 'st:key-order' and 'st:data-bytes'. */
function mutateSafetensors(rng: Rng, st: St, withReference = false): { kind: string; expect: Expect; bytes: Buffer } {
  const h = clone(st.header);
  const names = Object.keys(h).filter((k) => k !== '__metadata__');
  const name = pick(rng, names);
  const e = h[name];
  const text = () => JSON.stringify(h);
  const inv = (kind: string, bytes: Buffer) => ({ kind, expect: 'invalid' as const, bytes });
  // with the reference reader as judge, a quarter of the cases are random header bytes
  switch (withReference && rng.int(4) === 0 ? 18 : rng.int(18)) {
    case 18: {
      // random bytes inside the header JSON: judged by the reference reader (Python safetensors)
      const b = stBytes(text(), st.data);
      const n = Number(b.readBigUInt64LE(0));
      for (let k = 0; k < 1 + rng.int(3); k++) b[8 + rng.int(n)] = pick(rng, [rng.int(256), 0x22, 0x2c, 0x7b, 0x7d, 0x5b, 0x5d, 0x30 + rng.int(10), 0x20]);
      return { kind: 'st:header-random-bytes', expect: 'reference' as const, bytes: b };
    }
    case 0: return inv('st:header-length±', stBytes(text(), st.data, pick(rng, [-1, 1, -8, 8, -3, 5])));
    case 1: {
      const b = stBytes(text(), st.data);
      b.writeBigUInt64LE(pick(rng, [0n, 1n, 2n ** 63n, 2n ** 64n - 1n, BigInt(b.length), 100_000_001n]), 0);
      return inv('st:header-length-absurd', b);
    }
    case 2: {
      const b = stBytes(text(), st.data);
      return inv('st:truncated', b.subarray(0, rng.int(b.length - 1)));
    }
    case 3: return inv('st:trailing-bytes', Buffer.concat([stBytes(text(), st.data), Buffer.alloc(1 + rng.int(64), 0x20)]));
    case 4: return inv('st:header-not-object', stBytes(pick(rng, ['null', '[]', '[{}]', '5', '"x"', '{"a":1}', '{"a":null}', '{"a":[]}']), st.data));
    case 5: return inv('st:header-truncated-json', stBytes(truncated(rng, text()), st.data, 0, false));
    case 6: {
      // a repeated tensor name, or a repeated field inside an entry
      const t = text();
      const dup = rng.int(2) === 0
        ? t.replace(`"${name}":`, `"${name}":${JSON.stringify(e)},"${name}":`)
        : t.replace(`"${name}":{`, `"${name}":{"dtype":${JSON.stringify(pick(rng, ['F32', 'F16', 'I64']))},`);
      return inv('st:duplicate-key', stBytes(dup, st.data));
    }
    case 7: {
      // overlap: point the tensor at (part of) another tensor's bytes
      const other = h[pick(rng, names.filter((n) => n !== name))] ?? e;
      const len = e.data_offsets[1] - e.data_offsets[0];
      e.data_offsets = [other.data_offsets[0], other.data_offsets[0] + len];
      if (len === 0 || other === e) e.data_offsets = [e.data_offsets[0] + 1, e.data_offsets[1] + 1];
      return inv('st:overlap-or-gap', stBytes(text(), st.data));
    }
    case 8: {
      e.data_offsets = pick(rng, [[-1, 3], [1.5, 4], ['0', '4'], [0], [0, 1, 2], null, 5, [e.data_offsets[1], e.data_offsets[0]], [e.data_offsets[0], 2 ** 53 + 2], [e.data_offsets[0], 1e300]]);
      if (JSON.stringify(e.data_offsets) === JSON.stringify(st.header[name].data_offsets)) e.data_offsets = [-1, 3];
      return inv('st:offsets-bad', stBytes(text(), st.data));
    }
    case 9: {
      const [b, en] = e.data_offsets;
      const d = pick(rng, [1, 2, 4, 1000, st.data.length]);
      e.data_offsets = rng.int(2) === 0 ? [b, en + d] : [b + d, en + d];
      return inv('st:offsets-past-or-shifted', stBytes(text(), st.data));
    }
    case 10: {
      const size = DTYPE_BYTES[e.dtype] ?? 4;
      const others = Object.keys(DTYPE_BYTES).filter((d) => DTYPE_BYTES[d] !== size);
      e.dtype = pick(rng, [...others, 'F31', 'f32', '', 'FLOAT', 5, null, 'F8_E4M3X']);
      return inv('st:dtype-bad', stBytes(text(), st.data));
    }
    case 11: {
      const shape = [...e.shape];
      const i = rng.int(Math.max(1, shape.length));
      const v = pick<J>(rng, [-1, 1.5, '4', null, 2 ** 32, 2 ** 53, 1e300, (shape[i] ?? 1) + 1, 0]);
      if (shape.length === 0) shape.push(2);
      else shape[i] = v;
      e.shape = JSON.stringify(shape) === JSON.stringify(st.header[name].shape) ? [...shape, 2] : shape;
      if (rng.int(5) === 0) e.shape = pick(rng, [null, 5, '2,2', [[2]]]);
      return inv('st:shape-bad', stBytes(text(), st.data));
    }
    case 12: {
      // 2^32 × 2^32 elements of 4 bytes: the product wraps to 0 in 64-bit arithmetic
      e.shape = [4294967296, 4294967296];
      e.data_offsets = [e.data_offsets[0], e.data_offsets[0]];
      return inv('st:shape-overflow', stBytes(text(), st.data));
    }
    case 13: {
      h.__metadata__ = pick(rng, [null, 5, [], { format: 5 }, { format: null }, { format: { x: 1 } }, 'pt']);
      return inv('st:metadata-bad', stBytes(text(), st.data));
    }
    case 14: {
      delete e[pick(rng, ['dtype', 'shape', 'data_offsets'])];
      return inv('st:entry-field-missing', stBytes(text(), st.data));
    }
    case 15: return { kind: 'st:whitespace', expect: 'valid', bytes: stBytes(reformat(rng, h).trim(), st.data) };
    case 16: return { kind: 'st:key-order', expect: 'valid', bytes: stBytes(JSON.stringify(reorder(rng, h)), st.data) };
    default: {
      // other bytes inside the data section: a valid file with other weights
      const data = Buffer.from(st.data);
      for (let k = 0; k < 1 + rng.int(8); k++) data[rng.int(data.length)] = rng.int(256);
      return { kind: 'st:data-bytes', expect: 'valid', bytes: stBytes(text(), data) };
    }
  }
}

// --- targets ------------------------------------------------------------------------------------------

const MODEL = join(FIX, 'hf', 'models', 'llama-linear');
const PEFT_BASE = join(FIX, 'hf', 'peft', 'base-llama');
const PEFT = join(FIX, 'hf', 'peft', 'llama-all-linear');
const TOKENIZER = join(FIX, 'hf', 'tokenizers', 'llama3', 'tokenizer.json');

function copyModel(seeds: string, name: string, from: string, files: string[]): void {
  mkdirSync(join(seeds, name), { recursive: true });
  for (const f of files) copyFileSync(join(from, f), join(seeds, name, f));
}

const safetensorsTarget = (name: string, engine: boolean): Target => ({
  name,
  async prepare(seeds) {
    if (!existsSync(join(seeds, 'model'))) copyModel(seeds, 'model', MODEL, ['config.json', 'model.safetensors']);
    return true;
  },
  mutate(rng, seeds) {
    // Random header bytes only for `model info` (TS reader), which must accept exactly what the
    // reference reader accepts; the engine also needs the tensor names the model expects.
    const m = mutateSafetensors(rng, readSt(join(seeds, 'model', 'model.safetensors')), !engine);
    // The engine's reader is reached through `model forward`, which loads with the engine alone
    // (`model info --device` reads the header in TypeScript first, which would shadow it).
    const batch = JSON.stringify({ input_ids: [[1, 2, 3, 4]] });
    return {
      kind: m.kind, expect: m.expect,
      files: { 'config.json': readFileSync(join(seeds, 'model', 'config.json')), 'BATCH.json': batch, 'model.safetensors': m.bytes },
      argv: (dir) => (engine ? ['model', 'forward', '--model', dir, '--batch', join(dir, 'BATCH.json'), '--out', join(dir, 'out.safetensors'), '--threads', '1'] : ['model', 'info', dir, '--json']),
    };
  },
});

/** config.json fields: invalid values by field (the engine must refuse each), and valid replacements. */
const CONFIG_INVALID: Array<[string, J[]]> = [
  ['num_hidden_layers', [0, -1, 2 ** 31 - 1, 1.5, '2', true, 2 ** 64]],
  ['num_attention_heads', [0, -4, 3, 1e9, 1.5]],
  ['num_key_value_heads', [0, -2, 3, 5]],
  ['hidden_size', [0, -16, 15, 2 ** 40]],
  ['intermediate_size', [0, -1, 2 ** 50]],
  ['vocab_size', [0, -1, 2 ** 40, 1.5, 'x']],
  ['max_position_embeddings', [0, -1, 2 ** 33, 1.5]],
  ['rms_norm_eps', [0, -1, 'x', true, '1e-6']],
  ['rope_theta', [0, -1, 'x', true]],
  ['head_dim', [0, -1, 3, 2 ** 20]],
  ['hidden_act', ['relu', 5, '']],
  ['architectures', [['BertModel'], ['LlamaForSequenceClassification']]],
  ['model_type', ['bert', 5]],
  ['attention_bias', ['yes', 1]],
  ['tie_word_embeddings', ['no', 2]],
  // ({rope_type: 'linear'} alone would agree with the seed's rope_parameters: valid, so not listed)
  ['rope_scaling', [{ rope_type: 'linear', factor: 0 }, { rope_type: 'magic', factor: 2 }, 5, { rope_type: 'linear', factor: -1 }]],
  ['unknown_field_xyz', [1, 'x']],
];

const configTarget: Target = {
  name: 'config.json',
  async prepare(seeds) {
    if (!existsSync(join(seeds, 'model'))) copyModel(seeds, 'model', MODEL, ['config.json', 'model.safetensors']);
    return true;
  },
  mutate(rng, seeds) {
    const doc = JSON.parse(readFileSync(join(seeds, 'model', 'config.json'), 'utf8'));
    let kind: string, expect: Expect, text: string;
    const r = rng.int(10);
    if (r < 3) ({ kind, expect, text } = jsonDocMutation(rng, doc));
    else if (r < 9) {
      const [field, values] = pick(rng, CONFIG_INVALID);
      const v = pick(rng, values);
      doc[field] = v;
      kind = `config:${field}`;
      expect = 'invalid';
      // a value written as text so that it parses to infinity (JSON has no Infinity)
      text = JSON.stringify(doc);
      if (rng.int(6) === 0 && ['rms_norm_eps', 'rope_theta'].includes(field)) text = text.replace(`"${field}":${JSON.stringify(v)}`, `"${field}":1e999`);
    } else {
      // values of the field's domain: other positive eps/theta, fewer positions
      const [field, v] = pick<[string, J]>(rng, [['rms_norm_eps', 1e-5], ['max_position_embeddings', 64], ['initializer_range', 0.01]]);
      doc[field] = v;
      kind = 'config:valid-value';
      expect = 'valid';
      text = JSON.stringify(doc, null, 2);
    }
    return {
      kind, expect,
      files: { 'config.json': text, 'model.safetensors': readFileSync(join(seeds, 'model', 'model.safetensors')) },
      argv: (dir) => ['model', 'info', dir, '--device', 'cpu'],
    };
  },
};

const tokenizerTarget: Target = {
  name: 'tokenizer.json',
  async prepare() {
    return existsSync(TOKENIZER);
  },
  mutate(rng) {
    const doc = JSON.parse(readFileSync(TOKENIZER, 'utf8'));
    const encode = (dir: string) => ['tokenizer', 'encode', '--model', MODEL, '--tokenizer', join(dir, 'tokenizer.json'), '--text', 'int x = 1;'];
    const init = (dir: string) => ['model', 'init', '--arch', 'llama', '--tokenizer', join(dir, 'tokenizer.json'), '--hidden', '8', '--layers', '1', '--heads', '2', '--intermediate', '8', '--seed', '1', '--out', join(dir, 'm')];
    const r = rng.int(10);
    if (r < 3) {
      const m = jsonDocMutation(rng, doc);
      return { ...m, kind: `tok:${m.kind}`, files: { 'tokenizer.json': m.text }, argv: rng.int(2) ? encode : init };
    }
    let kind: string;
    if (r < 6) {
      const [k, v] = pick<[string, J]>(rng, [['added_tokens', 5], ['added_tokens', null], ['added_tokens', [5]], ['added_tokens', 'x'], ['model', null], ['model', 5], ['model', { type: 'Magic' }], ['pre_tokenizer', 5], ['post_processor', { type: 'Magic' }], ['decoder', 'x'], ['normalizer', [1]]]);
      doc[k] = v;
      kind = `tok:${k}`;
    } else if (r < 9) {
      const vocab = doc.model.vocab as Record<string, number>;
      const key = pick(rng, Object.keys(vocab));
      const v = pick<J>(rng, [-1, 1.5, 'x', null, 2 ** 32, 1e300]);
      vocab[key] = v;
      kind = 'tok:vocab-id';
    } else {
      // a far id: valid for the tokenizers library, but it would size a mostly empty embedding
      doc.model.vocab['zzz_far_token'] = 1_000_000;
      kind = 'tok:vocab-far-id';
      return { kind, expect: 'invalid', files: { 'tokenizer.json': JSON.stringify(doc) }, argv: init };
    }
    return { kind, expect: 'invalid', files: { 'tokenizer.json': JSON.stringify(doc) }, argv: rng.int(2) ? encode : init };
  },
};

const peftTarget: Target = {
  name: 'peft-adapter',
  async prepare(seeds) {
    if (!existsSync(PEFT) || !existsSync(PEFT_BASE)) return false;
    copyModel(seeds, 'peft', PEFT, ['adapter_config.json', 'adapter_model.safetensors']);
    return true;
  },
  mutate(rng, seeds) {
    const cfg = JSON.parse(readFileSync(join(seeds, 'peft', 'adapter_config.json'), 'utf8'));
    let weights: Buffer = readFileSync(join(seeds, 'peft', 'adapter_model.safetensors'));
    let kind: string, expect: Expect, text: string;
    const r = rng.int(10);
    if (r < 3) ({ kind, expect, text } = jsonDocMutation(rng, cfg));
    else if (r < 7) {
      const [k, v] = pick<[string, J]>(rng, [['r', 0], ['r', -1], ['r', 1.5], ['r', 'x'], ['r', 2 ** 40], ['lora_alpha', 'x'], ['lora_alpha', null], ['target_modules', 5], ['target_modules', ['no_such_module']], ['peft_type', 'IA3'], ['peft_type', 5], ['use_dora', true], ['layers_to_transform', [99]], ['bias', 'all'], ['fan_in_fan_out', 'x']]);
      cfg[k] = v;
      kind = `peft:${k}`;
      expect = 'invalid';
      // The seed's target_modules are full module names, which PEFT takes whatever
      // layers_to_transform says (check_target_module_exists: "key in target_modules" first).
      if (k === 'layers_to_transform') [kind, expect] = ['peft:layers_to_transform-with-full-names', 'valid'];
      text = JSON.stringify(cfg);
    } else {
      const m = mutateSafetensors(rng, readSt(join(seeds, 'peft', 'adapter_model.safetensors')));
      weights = m.bytes;
      kind = `peft-${m.kind}`;
      expect = m.expect;
      text = JSON.stringify(cfg);
    }
    return {
      kind, expect,
      files: { 'adapter/adapter_config.json': text, 'adapter/adapter_model.safetensors': weights },
      argv: (dir) => ['model', 'merge', '--model', PEFT_BASE, '--adapter', join(dir, 'adapter'), '--out', join(dir, 'merged')],
    };
  },
};

const batchTarget: Target = {
  name: 'BATCH.json',
  async prepare(seeds) {
    if (!existsSync(join(seeds, 'model'))) copyModel(seeds, 'model', MODEL, ['config.json', 'model.safetensors']);
    return true;
  },
  mutate(rng, seeds) {
    const cfg = JSON.parse(readFileSync(join(seeds, 'model', 'config.json'), 'utf8'));
    const V = cfg.vocab_size as number;
    const T = 6;
    const row = (k: number) => Array.from({ length: T }, (_, i) => (7 * k + 3 * i) % V);
    const doc: Record<string, J> = {
      input_ids: [row(1), row(2)],
      labels: [row(1), [-100, ...row(2).slice(1)]],
      weights: [[1, 1.5, 2, 1, 1, 1], [1, 1, 1, 3, 1, 1]],
      attention_mask: [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]],
      path_mask: [[0, 1, 1, 0, 0, 0], [0, 0, 1, 1, 0, 0]],
    };
    let kind = '', expect: Expect = 'invalid', text: string | undefined;
    const field = pick(rng, ['input_ids', 'labels', 'weights', 'attention_mask', 'path_mask']);
    const [i, j] = [rng.int(2), rng.int(T)];
    const r = rng.int(12);
    if (r < 2) ({ kind, expect, text } = jsonDocMutation(rng, doc));
    else if (r < 8) {
      const bad: Record<string, J[]> = {
        input_ids: [2 ** 32 + 5, 1.5, -1, V, V + 1000, 'x', null, 2 ** 31, 1e300],
        labels: [2 ** 32 - 100, -99, 1.5, V, -101, 'x', 2 ** 53],
        weights: [-1, 'x', null, 1e39, -0.5],
        attention_mask: [0.5, 2, 256, -1, 'x', true],
        path_mask: [256, 2, 0.5, -1, 'x'],
      };
      doc[field][i][j] = pick(rng, bad[field]);
      kind = `batch:${field}-value`;
      if (rng.int(8) === 0 && field === 'weights') text = JSON.stringify(doc).replace(/"weights":\[\[1,/, '"weights":[[1e999,');
    } else if (r < 10) {
      const s = rng.int(4);
      if (s === 0) doc[field][i] = doc[field][i].slice(1);
      else if (s === 1) doc[field] = [doc[field][0]];
      else if (s === 2) doc[field] = pick(rng, [5, 'x', [], [5], {}]);
      else {
        // rows longer than the model's positions
        const n = (cfg.max_position_embeddings ?? 2048) + 1 + rng.int(20000);
        for (const k of Object.keys(doc)) doc[k] = doc[k].map((rw: number[]) => Array.from({ length: n }, (_, q) => (k === 'input_ids' || k === 'labels' ? q % V : rw[q % T])));
        kind = 'batch:longer-than-context';
      }
      if (!kind) kind = `batch:${field}-shape`;
    } else {
      // a value of the field's domain
      const good: Record<string, J[]> = { input_ids: [0, V - 1], labels: [-100, 0, V - 1], weights: [0, 0.25, 7], attention_mask: [1], path_mask: [0, 1] };
      doc[field][i][j] = pick(rng, good[field]);
      if (field === 'attention_mask') doc[field][i][j] = j < (i === 0 ? T : 4) ? 1 : 0;
      kind = 'batch:valid-value';
      expect = 'valid';
    }
    return {
      kind, expect,
      files: { 'BATCH.json': text ?? JSON.stringify(doc) },
      argv: (dir) => ['model', 'forward', '--model', join(seeds, 'model'), '--batch', join(dir, 'BATCH.json'), '--out', join(dir, 'out.safetensors'), '--threads', '1'],
    };
  },
};

const predictionsTarget: Target = {
  name: 'predictions JSONL (eval)',
  async prepare(seeds) {
    if (!existsSync(join(seeds, 'model'))) copyModel(seeds, 'model', MODEL, ['config.json', 'model.safetensors']);
    return true;
  },
  mutate(rng, seeds) {
    const lines = [
      { id: 'a', input: 'int a = 1;', prediction: 'int a = 1;', reference: 'int a = 1;' },
      { id: 'b', input: 'return x;', prediction: 'return y;', reference: 'return x;' },
      { id: 'c', input: 'x++;', prediction: 'x += 1;', reference: 'x++;' },
    ];
    const eval_ = (dir: string) => ['eval', '--preds', join(dir, 'p.jsonl'), '--task', 'translation'];
    const k = rng.int(lines.length);
    let text: string, kind: string, expect: Expect = 'invalid';
    const r = rng.int(8);
    const base = lines.map((l) => JSON.stringify(l));
    if (r === 0) { base[k] = pick(rng, ['null', '[]', '5', '"x"', '{}', 'true']); kind = 'jsonl:line-not-object'; }
    else if (r === 1) { base[k] = truncated(rng, base[k]); kind = 'jsonl:line-truncated'; }
    else if (r === 2) { (lines[k] as J)[pick(rng, ['prediction', 'reference'])] = pick(rng, [5, null, ['x'], {}]); base[k] = JSON.stringify(lines[k]); kind = 'jsonl:field-type'; }
    else if (r === 3) { text = pick(rng, ['', '\n', '\n \n\t\n']); kind = 'jsonl:empty'; }
    else if (r === 4) { base[k] = JSON.stringify({ ...lines[k], prediction: 'x '.repeat(pick(rng, [20_000, 100_000, 2_700_000])) }); kind = 'jsonl:huge-line'; }
    else if (r === 5) { text = base.join('\r\n') + '\r\n\r\n'; kind = 'jsonl:crlf-blank'; expect = 'valid'; }
    else if (r === 6) { base[k] = '  ' + JSON.stringify(reorder(rng, lines[k] as J), null, 0) + ' \t'; kind = 'jsonl:whitespace-order'; expect = 'valid'; }
    else { base.splice(k, 0, ''); kind = 'jsonl:blank-line'; expect = 'valid'; }
    text ??= base.join('\n');
    return { kind, expect, files: { 'p.jsonl': text }, argv: eval_ };
  },
};

const priorsTarget: Target = {
  name: 'priors',
  async prepare() {
    return existsSync(join(repoRoot, 'priors', 'eyetrans.json'));
  },
  mutate(rng) {
    const doc = JSON.parse(readFileSync(join(repoRoot, 'priors', 'eyetrans.json'), 'utf8'));
    let kind: string, expect: Expect = 'invalid', text: string | undefined;
    const r = rng.int(10);
    if (r < 3) ({ kind, expect, text } = jsonDocMutation(rng, doc));
    else if (r < 9) {
      const mode = pick(rng, Object.keys(doc.modes));
      const labels = doc.modes[mode].labels;
      const label = pick(rng, Object.keys(labels));
      const s = rng.int(6);
      if (s === 0) { doc.format = pick(rng, ['eyemulator-priors/2', 5, null]); kind = 'priors:format'; }
      else if (s === 1) {
        // alpha/beta are any positive numbers (Beta parameters); fixated/shown are counts
        const f = pick(rng, ['alpha', 'beta', 'fixated', 'shown']);
        labels[label][f] = pick(rng, f === 'alpha' || f === 'beta' ? [-1, 'x', null, 0, -5] : [-1, 'x', null, 1.5, -5]);
        kind = 'priors:label-count';
      }
      else if (s === 2) { labels[label].fixated = labels[label].shown + 1; kind = 'priors:fixated>shown'; }
      else if (s === 3) { doc.modes[mode] = pick(rng, [null, 5, [], {}]); kind = 'priors:mode'; }
      else if (s === 4) { doc.modes = pick(rng, [null, 5, [], {}]); kind = 'priors:modes'; }
      else { doc.minCount = pick(rng, [-1, 'x', 1.5]); kind = 'priors:minCount'; }
    } else { kind = 'priors:whitespace'; expect = 'valid'; text = reformat(rng, doc); }
    return { kind, expect, files: { 'priors.json': text ?? JSON.stringify(doc) }, argv: (dir) => ['priors', 'show', join(dir, 'priors.json')] };
  },
};

/** A generic gaze CSV (t_ms,x,y) and an SMI IDF text export (the head of an EMIP recording). */
const gazeTarget: Target = {
  name: 'gaze TSV/CSV',
  async prepare(seeds) {
    const rows = ['t_ms,x,y'];
    for (let k = 0; k <= 40; k++) rows.push(`${k * 20},${100 + (k % 3) + (k > 20 ? 400 : 0)},${200 + (k % 2)}`);
    writeFileSync(join(seeds, 'trace.csv'), rows.join('\n') + '\n');
    const smi = join(SHARED, 'emip', 'rawdata', '134_rawdata.tsv');
    if (existsSync(smi)) {
      const text = readFileSync(smi, 'utf8').split('\n').slice(0, 400).join('\n') + '\n';
      writeFileSync(join(seeds, 'smi.txt'), text);
    }
    return true;
  },
  mutate(rng, seeds) {
    const useSmi = existsSync(join(seeds, 'smi.txt')) && rng.int(2) === 0;
    const name = useSmi ? 'smi.txt' : 'trace.csv';
    const lines = readFileSync(join(seeds, name), 'utf8').split('\n');
    const sep = useSmi ? '\t' : ',';
    const firstData = useSmi ? lines.findIndex((l) => /^\d/.test(l)) : 1;
    const k = firstData + rng.int(Math.max(1, lines.length - 2 - firstData));
    let kind: string, expect: Expect = 'invalid';
    const r = rng.int(7);
    const cells = lines[k].split(sep);
    if (r === 0) { cells[useSmi ? 21 + rng.int(4) : 1 + rng.int(2)] = pick(rng, ['x', '1e', '--1', '1.2.3']); lines[k] = cells.join(sep); kind = 'gaze:cell-not-number'; }
    else if (r === 1) { lines[k] = cells.slice(0, 1 + rng.int(2)).join(sep); kind = 'gaze:row-short'; }
    else if (r === 2) { lines.splice(firstData); kind = 'gaze:header-only'; }
    else if (r === 3) { cells[0] = pick(rng, ['-5', 'x', '']); lines[k] = cells.join(sep); kind = 'gaze:time-bad'; }
    else if (r === 4) { if (useSmi) { cells[21] += '"'; lines[k] = cells.join(sep); kind = 'gaze:stray-quote'; } else { lines[k] = lines[k] + '"'; kind = 'gaze:unclosed-quote'; } }
    else if (r === 5) { kind = 'gaze:crlf'; expect = 'valid'; return { kind, expect, files: { [name]: lines.join('\r\n') }, argv: (dir) => ['gaze', 'fixations', join(dir, name), '--out', join(dir, 'fix.csv')] }; }
    else { lines.push('', ''); kind = 'gaze:trailing-blank-lines'; expect = 'valid'; }
    return { kind, expect, files: { [name]: lines.join('\n') }, argv: (dir) => ['gaze', 'fixations', join(dir, name), '--out', join(dir, 'fix.csv')] };
  },
};

/** AOI boxes (EMIP layout) with a fixation CSV on them → gaze scanpaths. */
const aoiTarget: Target = {
  name: 'AOI',
  async prepare(seeds) {
    const aoi = join(SHARED, 'emip', 'aois', 'aois_rectangle_java2.csv');
    if (!existsSync(aoi)) return false;
    copyFileSync(aoi, join(seeds, 'aois_rectangle_java2.csv'));
    copyFileSync(join(SHARED, 'emip', 'programs', 'Rectangle.java'), join(seeds, 'Rectangle.java'));
    const fix = ['stimulus,start_ms,end_ms,duration_ms,x,y'];
    for (let k = 0; k < 30; k++) fix.push(`rectangle_java2.jpg,${k * 300},${k * 300 + 200},200,${600 + (k * 37) % 300},${230 + (k * 13) % 200}`);
    writeFileSync(join(seeds, '134_fixations.csv'), fix.join('\n') + '\n');
    return true;
  },
  mutate(rng, seeds) {
    const lines = readFileSync(join(seeds, 'aois_rectangle_java2.csv'), 'utf8').split('\n');
    const k = 1 + rng.int(Math.max(1, lines.length - 2));
    const cells = lines[k].split(',');
    let kind: string, expect: Expect = 'invalid', text: string | undefined;
    const r = rng.int(7);
    if (r === 0) { text = lines[0] + '\n'; kind = 'aoi:header-only'; }
    else if (r === 1) { cells[2 + rng.int(4)] = pick(rng, ['x', '', 'NaN', '1e']); lines[k] = cells.join(','); kind = 'aoi:cell-not-number'; }
    else if (r === 2) { cells[4 + rng.int(2)] = '-' + (1 + rng.int(50)); lines[k] = cells.join(','); kind = 'aoi:negative-size'; }
    else if (r === 3) { lines[k] = cells.join(',') + ',extra,fields'; kind = 'aoi:too-many-fields'; }
    else if (r === 4) { lines[0] = lines[0].replace(pick(rng, ['x', 'y', 'width', 'height']), 'zz'); kind = 'aoi:header-column-missing'; }
    else if (r === 5) { lines[k] = lines[k] + ',"unclosed'; kind = 'aoi:unclosed-quote'; }
    else { text = lines.join('\r\n'); kind = 'aoi:crlf'; expect = 'valid'; }
    return {
      kind, expect,
      files: { 'aois_rectangle_java2.csv': text ?? lines.join('\n') },
      argv: (dir) => ['gaze', 'scanpaths', '--fixations', join(seeds, '134_fixations.csv'), '--aois', join(dir, 'aois_rectangle_java2.csv'), '--code', join(seeds, 'Rectangle.java'), '--mode', 'reading', '--out', join(dir, 'sp.jsonl')],
    };
  },
};

/** Scan-path JSONL (gaze scanpaths output) → priors distill. */
const scanpathTarget: Target = {
  name: 'scan paths',
  async prepare(seeds) {
    const tokens = [
      { id: 0, text: 'int', label: 'variable declaration', line: 1 },
      { id: 1, text: 'x', label: 'variable declaration', line: 1 },
      { id: 2, text: 'if', label: 'conditional statement', line: 2 },
      { id: 3, text: 'x', label: 'conditional statement', line: 2 },
      { id: 4, text: 'x', label: 'loop', line: 3 },
    ];
    const lines = [1, 2, 3].map((p) => JSON.stringify({ participant: String(p), stimulus: 's.jpg', mode: p === 2 ? 'writing' : 'reading', tokens, visits: [0, 1, 2, 3, 4, 2, 3].slice(0, 4 + p) }));
    writeFileSync(join(seeds, 'sp.jsonl'), lines.join('\n') + '\n');
    return true;
  },
  mutate(rng, seeds) {
    const lines = readFileSync(join(seeds, 'sp.jsonl'), 'utf8').trimEnd().split('\n');
    const k = rng.int(lines.length);
    const rec = JSON.parse(lines[k]);
    let kind: string, expect: Expect = 'invalid';
    const r = rng.int(8);
    if (r === 0) { lines[k] = pick(rng, ['null', '[]', '5', '{}']); kind = 'sp:line-not-object'; }
    else if (r === 1) { lines[k] = truncated(rng, lines[k]); kind = 'sp:line-truncated'; }
    else if (r === 2) { rec.visits = pick(rng, [[99], [-1], [1.5], 'x', null, [null]]); lines[k] = JSON.stringify(rec); kind = 'sp:visits'; }
    else if (r === 3) { rec.tokens = pick(rng, [null, 5, [{ id: 'x' }], [null]]); lines[k] = JSON.stringify(rec); kind = 'sp:tokens'; }
    else if (r === 4) { rec.mode = pick(rng, ['skimming', 5, null]); lines[k] = JSON.stringify(rec); kind = 'sp:mode'; }
    else if (r === 5) { rec.tokens[rng.int(rec.tokens.length)].id = pick(rng, [0, 4, 99]) ; rec.tokens.push({ ...rec.tokens[0] }); lines[k] = JSON.stringify(rec); kind = 'sp:duplicate-token-id'; }
    else if (r === 6) { lines.splice(k, 0, '', '  '); kind = 'sp:blank-lines'; expect = 'valid'; }
    else { lines[k] = JSON.stringify(reorder(rng, rec), null, 0); kind = 'sp:key-order'; expect = 'valid'; }
    return { kind, expect, files: { 'sp.jsonl': lines.join('\n') + '\n' }, argv: (dir) => ['priors', 'distill', join(dir, 'sp.jsonl'), '--out', join(dir, 'priors.json'), '--min-count', '1'] };
  },
};

export const TARGETS: Target[] = [
  safetensorsTarget('safetensors (model info, TS reader)', false),
  safetensorsTarget('safetensors (engine loader)', true),
  configTarget,
  tokenizerTarget,
  peftTarget,
  batchTarget,
  predictionsTarget,
  priorsTarget,
  gazeTarget,
  aoiTarget,
  scanpathTarget,
];
