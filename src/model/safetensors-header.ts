/**
 * Reads only the header of a safetensors file (8-byte LE length + JSON), in TypeScript: enough to
 * list tensors, dtypes and shapes (`eyemulator model info`) without loading libtorch.
 *
 * Validated as strictly as the engine's reader (cpp/safetensors.cpp): every dtype of the format is
 * accepted (an F8_E4M3 or U32 tensor is listed, not refused), each entry's byte length must equal
 * numel × dtype bits / 8, offsets must lie inside the file's data section, no two tensors may
 * overlap, and no tensor name may appear twice. A defect throws InputError naming file and tensor.
 */
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { InputError } from '../util/errors.ts';

export interface HeaderTensor {
  name: string;
  dtype: string;
  shape: number[];
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  tensors: HeaderTensor[];
}

/**
 * Bits per element of every safetensors dtype (safetensors' Dtype enum); sub-byte F4/F6 included.
 * The engine computes with F32, F16, BF16, F64 weights; the others can only be unused tensors.
 */
export const SAFETENSORS_DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, I16: 16, U16: 16, F16: 16, BF16: 16,
  I32: 32, U32: 32, F32: 32, C64: 64, F64: 64, I64: 64, U64: 64, F4: 4, F6_E2M3: 6, F6_E3M2: 6,
};

/**
 * The keys of the top-level JSON object in order, repeats included (JSON.parse keeps only the
 * last of a repeated key, which would hide a tensor entry). Assumes `text` parsed as JSON.
 */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = depth === 1 && c === '{';
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

export function readSafetensorsHeader(path: string): SafetensorsHeader {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new InputError(`cannot open (${(e as NodeJS.ErrnoException).code ?? e})`, { file: path });
  }
  try {
    const size = fstatSync(fd).size;
    if (size < 8) throw new InputError(`truncated file: ${size} bytes, shorter than the 8-byte header length`, { file: path });
    const lenBuf = Buffer.alloc(8);
    readSync(fd, lenBuf, 0, 8, 0);
    const n = Number(lenBuf.readBigUInt64LE(0));
    if (n > size - 8) throw new InputError(`header length ${n} runs past the end of the file (${size} bytes)`, { file: path });
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, 8);
    const text = buf.toString('utf8');
    let json: Record<string, any>;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new InputError(`header is not valid JSON: ${(e as Error).message}`, { file: path });
    }
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new InputError('header is not a JSON object', { file: path });
    const seen = new Set<string>();
    for (const k of topLevelKeys(text)) {
      if (seen.has(k)) throw new InputError(`tensor "${k}" appears twice in the header`, { file: path });
      seen.add(k);
    }
    const dataSize = size - 8 - n;
    const tensors: HeaderTensor[] = [];
    let metadata: Record<string, string> = {};
    for (const [name, v] of Object.entries(json)) {
      if (name === '__metadata__') {
        if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InputError('__metadata__ is not an object', { file: path });
        metadata = v as Record<string, string>;
        continue;
      }
      const at = `tensor "${name}"`;
      if (!v || typeof v.dtype !== 'string' || !Array.isArray(v.shape) || !Array.isArray(v.data_offsets))
        throw new InputError(`${at}: entry needs dtype, shape and data_offsets`, { file: path });
      const bits = SAFETENSORS_DTYPE_BITS[v.dtype];
      if (bits === undefined) throw new InputError(`${at}: unknown dtype "${v.dtype}" (not a safetensors dtype)`, { file: path });
      if (!v.shape.every((d: unknown) => Number.isSafeInteger(d) && (d as number) >= 0))
        throw new InputError(`${at}: shape holds a non-integer or negative dimension`, { file: path });
      const [begin, end] = v.data_offsets as unknown[];
      if (v.data_offsets.length !== 2 || !Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || (begin as number) < 0 || (end as number) < 0)
        throw new InputError(`${at}: data_offsets must be two non-negative integers`, { file: path });
      const [b, e] = [begin as number, end as number];
      if (b > e) throw new InputError(`${at}: data_offsets begin > end`, { file: path });
      if (e > dataSize)
        throw new InputError(`${at}: data range [${b}, ${e}) lies past the end of the data section (${dataSize} bytes): the file is truncated`, { file: path });
      const numelBits = (v.shape as number[]).reduce((a, d) => a * BigInt(d), 1n) * BigInt(bits);
      if (numelBits % 8n !== 0n) throw new InputError(`${at}: shape [${v.shape}] of ${v.dtype} is not a whole number of bytes`, { file: path });
      if (numelBits / 8n !== BigInt(e - b))
        throw new InputError(`${at}: shape [${v.shape}] of ${v.dtype} needs ${numelBits / 8n} bytes but data_offsets span ${e - b}`, { file: path });
      tensors.push({ name, dtype: v.dtype, shape: v.shape, dataOffsets: [b, e] });
    }
    const byOffset = tensors.filter((t) => t.dataOffsets[1] > t.dataOffsets[0]).sort((x, y) => x.dataOffsets[0] - y.dataOffsets[0] || x.dataOffsets[1] - y.dataOffsets[1]);
    for (let i = 1; i < byOffset.length; i++) {
      const [p, t] = [byOffset[i - 1], byOffset[i]];
      if (t.dataOffsets[0] < p.dataOffsets[1])
        throw new InputError(`tensors "${p.name}" and "${t.name}" overlap in the data section`, { file: path });
    }
    return { metadata, tensors };
  } finally {
    closeSync(fd);
  }
}
