/** Table rows of bench/memory.bench.ts's JSON (bench/run.ts prints them). */
import type { Row } from './tables.ts';

const mib = (x: unknown): string => (typeof x === 'number' && Number.isFinite(x) ? `${(x / 2 ** 20).toFixed(0)} MiB` : 'n/a');

/* eslint-disable @typescript-eslint/no-explicit-any */
export function memoryTable(j: any): { title: string; rows: Row[] } {
  const ratio = typeof j.peakOverFile === 'number' ? j.peakOverFile : undefined;
  const s = j.shape ?? {};
  return {
    title: `Memory: bf16 checkpoint ${(j.fileBytes / 1e6).toFixed(0)} MB (${s.layers}×${s.hiddenSize}, V ${s.vocabSize}), load (default dtype) + LoRA + one step, fresh process`,
    rows: [
      { metric: 'dtype after a default load', value: String(j.dtype), target: 'bfloat16', status: j.dtype === 'bfloat16' ? 'PASS' : 'MISS' },
      { metric: 'peak RSS (VmHWM) / checkpoint file size', value: ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}×`, target: '≤ 1.5×', status: ratio === undefined ? 'n/a' : ratio <= 1.5 ? 'PASS' : 'MISS' },
      { metric: 'peak RSS', value: mib(j.hwm) },
      { metric: 'RSS before the load (node + libtorch)', value: mib(j.rssBaseline) },
      { metric: '(peak − that) / file size', value: typeof j.peakAboveBaselineOverFile === 'number' ? `${j.peakAboveBaselineOverFile.toFixed(2)}×` : 'n/a' },
      { metric: 'load time', value: `${Math.round(j.loadMs)} ms` },
      { metric: 'one LoRA step (1×8, bf16 compute)', value: `${Math.round(j.stepMs)} ms` },
    ],
  };
}
