/**
 * Reads only the header of a safetensors file (8-byte LE length + JSON), in TypeScript: enough to
 * list tensors, dtypes and shapes (`eyemulator model info`) without loading libtorch.
 *
 * Validated as strictly as the engine's reader (cpp/safetensors.cpp) and the reference Rust reader:
 * every dtype of the format is accepted (an F8_E4M3 or U32 tensor is listed, not refused), each
 * entry's byte length must equal numel × dtype bits / 8, the tensors must tile the data section
 * exactly (no overlap, no gap, no trailing bytes), and no key may repeat at any depth (parsed by
 * strict-json.ts, not JSON.parse, which keeps the last of a repeated key). A defect throws
 * InputError naming file and tensor.
 */
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { InputError } from '../util/errors.ts';
import { parseStrictJson, StrictJsonError, type StrictJson } from './strict-json.ts';

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

/** safetensors' MAX_HEADER_SIZE: the reference reader refuses a larger header. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

function isObject(v: StrictJson | undefined): v is { [key: string]: StrictJson } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Reads and validates the header of `path`. Throws InputError naming the file (and the tensor or
 * byte range) on: a file shorter than 8 bytes; a header length past the end of the file, above
 * 100 MB, or whose header does not start with '{'; invalid JSON or a key repeated at any depth; a
 * header that is not an object; __metadata__ that is not a string→string map; an entry without
 * dtype/shape/data_offsets; an unknown dtype; a dimension that is not a non-negative integer;
 * data_offsets that are not two non-negative integers with begin ≤ end inside the data section;
 * end − begin ≠ numel × dtype bits / 8; tensors that do not tile the data section exactly
 * (overlaps, gaps, trailing bytes — as the Rust reader's Metadata::validate).
 */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new InputError(`cannot open (${(e as NodeJS.ErrnoException).code ?? e})`, { file: path });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InputError('not a regular file (a safetensors file is expected here)', { file: path });
    const size = st.size;
    if (size < 8) throw new InputError(`truncated file: ${size} bytes, shorter than the 8-byte header length`, { file: path });
    const lenBuf = Buffer.alloc(8);
    readSync(fd, lenBuf, 0, 8, 0);
    const n64 = lenBuf.readBigUInt64LE(0);
    if (n64 > BigInt(size - 8))
      throw new InputError(`header length ${n64} runs past the end of the file (${size} bytes; the length is the file's first 8 bytes): the file is truncated or not safetensors`, { file: path });
    const n = Number(n64);
    if (n > SAFETENSORS_MAX_HEADER_BYTES)
      throw new InputError(`header length ${n} is larger than the format's limit of ${SAFETENSORS_MAX_HEADER_BYTES} bytes: not a safetensors file`, { file: path });
    const buf = Buffer.alloc(n);
    if (n > 0) readSync(fd, buf, 0, n, 8);
    if (n < 2 || buf[0] !== 0x7b)
      throw new InputError(`the header (bytes 8..${8 + n}) does not start with '{': not a safetensors file, or the 8-byte header length is wrong`, { file: path });
    let json: StrictJson;
    try {
      // fatal: invalid UTF-8 is refused (the Rust reader's from_utf8), not replaced with U+FFFD.
      json = parseStrictJson(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf));
    } catch (e) {
      if (e instanceof TypeError) throw new InputError('header is not valid UTF-8 (or the 8-byte header length is wrong)', { file: path });
      if (!(e instanceof StrictJsonError)) throw e;
      if (/appears twice/.test(e.reason)) throw new InputError(`header: ${e.message}`, { file: path });
      throw new InputError(`header is not valid JSON (or the 8-byte header length is wrong): ${e.message}`, { file: path });
    }
    if (!isObject(json)) throw new InputError('header is not a JSON object', { file: path });
    const dataSize = size - 8 - n;
    const tensors: HeaderTensor[] = [];
    const metadata: Record<string, string> = {};
    for (const [name, v] of Object.entries(json)) {
      if (name === '__metadata__') {
        if (!isObject(v)) throw new InputError('__metadata__ is not an object of strings', { file: path });
        for (const [k, m] of Object.entries(v)) {
          // The format's metadata is a string→string map (safetensors' Metadata: HashMap<String, String>).
          if (typeof m !== 'string') throw new InputError(`__metadata__ field "${k}" is not a string`, { file: path });
          metadata[k] = m;
        }
        continue;
      }
      const at = `tensor "${name}"`;
      if (!isObject(v) || typeof v.dtype !== 'string' || !Array.isArray(v.shape) || !Array.isArray(v.data_offsets))
        throw new InputError(`${at}: entry needs dtype, shape and data_offsets`, { file: path });
      const bits = Object.hasOwn(SAFETENSORS_DTYPE_BITS, v.dtype) ? SAFETENSORS_DTYPE_BITS[v.dtype] : undefined;
      if (bits === undefined) throw new InputError(`${at}: unknown dtype "${v.dtype}" (not a safetensors dtype)`, { file: path });
      if (!v.shape.every((d) => typeof d === 'bigint' && d >= 0n))
        throw new InputError(`${at}: shape holds a non-integer or negative dimension`, { file: path });
      const shape = v.shape as bigint[];
      const offs = v.data_offsets;
      if (offs.length !== 2 || typeof offs[0] !== 'bigint' || typeof offs[1] !== 'bigint' || offs[0] < 0n || offs[1] < 0n)
        throw new InputError(`${at}: data_offsets must be two non-negative integers`, { file: path });
      const [b, e] = [offs[0], offs[1]];
      if (b > e) throw new InputError(`${at}: data_offsets begin > end`, { file: path });
      if (e > BigInt(dataSize))
        throw new InputError(`${at}: data range [${b}, ${e}) lies past the end of the data section (${dataSize} bytes): the file is truncated`, { file: path });
      // BigInt: the product of dimensions cannot overflow.
      const numelBits = shape.reduce((a, d) => a * d, 1n) * BigInt(bits);
      if (numelBits % 8n !== 0n) throw new InputError(`${at}: shape [${shape}] of ${v.dtype} is not a whole number of bytes`, { file: path });
      if (numelBits / 8n !== e - b)
        throw new InputError(`${at}: shape [${shape}] of ${v.dtype} needs ${numelBits / 8n} bytes but data_offsets span ${e - b}`, { file: path });
      // Offsets lie within the file (< 2^53), so Numbers are exact; a dimension can still be huge
      // when another one is 0 (numel 0), and HeaderTensor holds Numbers.
      if (!shape.every((d) => d <= BigInt(Number.MAX_SAFE_INTEGER)))
        throw new InputError(`${at}: a dimension of shape [${shape}] is beyond 2^53`, { file: path });
      tensors.push({ name, dtype: v.dtype, shape: shape.map(Number), dataOffsets: [Number(b), Number(e)] });
    }
    // The tensors must tile the data section exactly, in offset order (the Rust reader's
    // Metadata::validate): an overlap aliases weights; a gap or trailing bytes mean a wrong offset
    // or header length (one byte short still parses when the header ends in padding, and then
    // every tensor would be read one byte off).
    const byOffset = [...tensors].sort((x, y) => x.dataOffsets[0] - y.dataOffsets[0] || x.dataOffsets[1] - y.dataOffsets[1]);
    let covered = 0;
    let prev: HeaderTensor | undefined;
    for (const t of byOffset) {
      if (t.dataOffsets[0] < covered)
        throw new InputError(`tensors "${prev!.name}" [${prev!.dataOffsets}) and "${t.name}" [${t.dataOffsets}) overlap in the data section`, { file: path });
      if (t.dataOffsets[0] > covered)
        throw new InputError(`bytes [${covered}, ${t.dataOffsets[0]}) of the data section belong to no tensor (before "${t.name}"): the offsets or the 8-byte header length are wrong`, { file: path });
      covered = t.dataOffsets[1];
      prev = t;
    }
    if (covered !== dataSize)
      throw new InputError(`the tensors cover ${covered} bytes but the data section holds ${dataSize} (${dataSize - covered} trailing bytes): the 8-byte header length or the offsets are wrong`, { file: path });
    return { metadata, tensors };
  } finally {
    closeSync(fd);
  }
}
