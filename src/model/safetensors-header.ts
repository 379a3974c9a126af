/**
 * Reads only the header of a safetensors file (8-byte LE length + JSON), in TypeScript: enough to
 * list tensors, dtypes and shapes (`eyemulator model info`) without loading libtorch.
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
    let json: Record<string, any>;
    try {
      json = JSON.parse(buf.toString('utf8'));
    } catch (e) {
      throw new InputError(`header is not valid JSON: ${(e as Error).message}`, { file: path });
    }
    const tensors: HeaderTensor[] = [];
    let metadata: Record<string, string> = {};
    for (const [name, v] of Object.entries(json)) {
      if (name === '__metadata__') { metadata = v as Record<string, string>; continue; }
      if (!v || typeof v.dtype !== 'string' || !Array.isArray(v.shape) || !Array.isArray(v.data_offsets))
        throw new InputError(`tensor "${name}": entry needs dtype, shape and data_offsets`, { file: path });
      tensors.push({ name, dtype: v.dtype, shape: v.shape, dataOffsets: v.data_offsets });
    }
    return { metadata, tensors };
  } finally {
    closeSync(fd);
  }
}
