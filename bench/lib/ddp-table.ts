/** Table rows of bench/ddp.bench.ts's JSON (bench/run.ts prints them). */
import type { Row } from './tables.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
export function ddpTable(j: any): { title: string; rows: Row[] } {
  const title = `Data-parallel (c10d/Gloo, CPU): 1 vs 2 processes × 1 thread, full fine-tuning float32 (torch ${j.torch}; ${j.cores} cores, load ${j.loadAverage1m?.before} → ${j.loadAverage1m?.after})`;
  if (j.skipped) return { title, rows: [{ metric: 'skipped', value: String(j.skipped) }] };
  const rows: Row[] = [];
  for (const [name, s] of Object.entries<any>(j.sizes ?? {})) {
    const eff = s.efficiency as number;
    rows.push(
      { metric: `${name} (${(s.parameters / 1e6).toFixed(2)} M params, global batch ${s.globalBatch}): tokens/s, 1 process`, value: String(s.tokensPerS1) },
      { metric: `${name}: tokens/s, 2 processes`, value: String(s.tokensPerS2) },
      { metric: `${name}: scaling efficiency (speed-up / 2)`, value: `${(eff * 100).toFixed(0)}% (×${s.speedup})`, target: '≥ 70% when 2 cores are free', status: eff >= 0.7 ? 'PASS' : 'MISS' },
      { metric: `${name}: step time in collectives (rank 0)`, value: `${(s.commShare * 100).toFixed(1)}%` },
      { metric: `${name}: gradient all-reduce (${(s.gradientBytes / 2 ** 20).toFixed(1)} MiB)`, value: `${(s.gradAllreduceS * 1000).toFixed(1)} ms` },
    );
  }
  return { title, rows };
}
