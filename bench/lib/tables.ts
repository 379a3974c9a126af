/** Turns the benchmarks' JSON into table rows with targets and PASS / MISS (bench/run.ts prints them). */
export interface Row {
  metric: string;
  value: string;
  target?: string;
  status?: 'PASS' | 'MISS' | 'n/a' | '';
}

const f = (x: unknown, d = 0): string =>
  typeof x === 'number' && Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a';
const judge = (ok: boolean | undefined): Row['status'] => (ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS');
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);

/* eslint-disable @typescript-eslint/no-explicit-any */
export function engineTable(j: any): { title: string; rows: Row[] } {
  const rows: Row[] = [];
  const ceil = num(j.matmul?.gflopsThreadsMedian);
  rows.push({ metric: `matmul ceiling fp32 2048³, ${j.threads} threads`, value: `${f(ceil, 1)} GFLOP/s` });
  rows.push({ metric: 'matmul fp32 2048³, 1 thread', value: `${f(j.matmul?.gflops1Median, 1)} GFLOP/s` });
  rows.push({ metric: `matmul bf16 2048³, ${j.threads} threads`, value: `${f(j.matmul?.bf16GflopsThreads, 1)} GFLOP/s` });
  const targets: Record<string, { speedup: number; share?: number }> = { demo: { speedup: 1.5 }, '4x512': { speedup: 1.1, share: 0.6 } };
  for (const [name, s] of Object.entries<any>(j.sizes ?? {})) {
    const sh = s.shape;
    const label = `${name} (${sh.layers}×${sh.hiddenSize}, V ${sh.vocabSize}, ${sh.batch}×${sh.seq})`;
    const e = s.engine;
    const t = targets[name] ?? { speedup: 1 };
    rows.push({ metric: `${label} engine step, plain CE`, value: `${f(e.plain.stepMsMedian, 1)} ms = ${f(e.plain.tokensPerS)} tok/s` });
    rows.push({ metric: `${label} engine step, weighted CE`, value: `${f(e.weighted.stepMsMedian, 1)} ms = ${f(e.weighted.tokensPerS)} tok/s` });
    if (s.peer?.plain) {
      rows.push({ metric: `${label} python eager (torch ${s.peer.torchVersion}), plain`, value: `${f(s.peer.plain.stepMsMedian, 1)} ms = ${f(s.peer.plain.tokensPerS)} tok/s` });
      if (s.peer.weighted)
        rows.push({ metric: `${label} python eager, weighted`, value: `${f(s.peer.weighted.stepMsMedian, 1)} ms = ${f(s.peer.weighted.tokensPerS)} tok/s` });
      const sp = num(s.peer.speedupPlain);
      rows.push({ metric: `${label} engine speed-up over python, plain`, value: `${f(sp, 2)}×`, target: `≥ ${t.speedup}×`, status: judge(sp === undefined ? undefined : sp >= t.speedup) });
      const sw = num(s.peer.speedupWeighted);
      rows.push({ metric: `${label} engine speed-up over python, weighted`, value: `${f(sw, 2)}×`, target: `≥ ${t.speedup}×`, status: judge(sw === undefined ? undefined : sw >= t.speedup) });
    } else {
      rows.push({ metric: `${label} engine speed-up over python`, value: `n/a: ${s.peer?.unavailable ?? 'no peer'}`, target: `≥ ${t.speedup}×`, status: 'n/a' });
    }
    const share = num(e.plain.ceilingShare);
    rows.push({
      metric: `${label} achieved FLOP/s, share of matmul ceiling`,
      value: `${f(e.plain.gflops, 1)} GFLOP/s = ${f(share === undefined ? undefined : 100 * share, 1)}%`,
      target: t.share ? `≥ ${100 * t.share}%` : '',
      status: t.share ? judge(share === undefined ? undefined : share >= t.share) : '',
    });
    const wr = num(e.weightedOverPlain);
    rows.push({ metric: `${label} weighted / plain CE step time`, value: `${f(wr, 3)}×`, target: '≤ 1.03×', status: judge(wr === undefined ? undefined : wr <= 1.03) });
  }
  for (const b of (j.bf16 ?? []) as any[]) {
    const tag = `bf16 autocast @ ${b.size}`;
    rows.push({
      metric: `${tag}: step time vs fp32 (same run, alternating)`,
      value: `${f(b.bf16.stepMsMedian, 0)} ms vs ${f(b.fp32.stepMsMedian, 0)} ms = ${f(b.bf16StepOverFp32, 2)}×`,
    });
    rows.push({
      metric: `${tag}: loss ${b.steps} steps${b.truncatedByBudget ? ` (of ${b.stepsAsked}; time budget)` : ''}, first → last`,
      value: `bf16 ${f(b.bf16.firstLoss, 3)} → ${f(b.bf16.lastLoss, 3)}; fp32 ${f(b.fp32.firstLoss, 3)} → ${f(b.fp32.lastLoss, 3)}; max |Δ| ${f(b.maxAbsLossDiff, 3)}`,
    });
  }
  rows.push({ metric: 'env', value: Object.entries(j.env ?? {}).map(([k, v]) => `${k}=${v}`).join(' ') });
  rows.push({ metric: 'load average (1 min) before / after', value: `${f(j.loadAverage1m?.before, 2)} / ${f(j.loadAverage1m?.after, 2)} on ${j.cores} cores` });
  if (j.peerError) rows.push({ metric: 'PYTHON PEER UNAVAILABLE', value: String(j.peerError), status: 'n/a' });
  return { title: `engine training step (${j.threads} threads, torch ${j.torch}${j.quick ? ', --quick' : ''})`, rows };
}

export function weightsTable(j: any): { title: string; rows: Row[] } {
  const rows: Row[] = [];
  const fp = num(j.firstPass?.methodsPerS);
  const tgt1 = j.firstPass?.target ?? 1000;
  rows.push({
    metric: 'first pass (label + tokenise + align)',
    value: `${f(fp)} methods/s`,
    target: `≥ ${f(tgt1)}/s`,
    status: judge(fp === undefined ? undefined : fp >= tgt1),
  });
  const sp = j.firstPass?.split;
  if (sp) rows.push({ metric: '  split: label / tokenise / align', value: `${f(sp.labelS, 2)} / ${f(sp.tokenizeS, 2)} / ${f(sp.alignS, 2)} s` });
  const tgt2 = j.perEpoch?.target ?? 20000;
  for (const v of j.perEpoch?.variants ?? []) {
    const m = num(v.methodsPerS);
    rows.push({ metric: `redraw per epoch: ${v.variant}`, value: `${f(m)} methods/s`, target: `≥ ${f(tgt2)}/s`, status: judge(m === undefined ? undefined : m >= tgt2) });
  }
  rows.push({ metric: 'methods / model tokens', value: `${f(j.methods)} / ${f(j.modelTokens)}` });
  rows.push({ metric: 'load average (1 min) before / after', value: `${f(j.loadAverage1m?.before, 2)} / ${f(j.loadAverage1m?.after, 2)} on ${j.loadAverage1m?.cores} cores` });
  return { title: 'weights pipeline (one core)', rows };
}

export function methodTable(j: any): { title: string; rows: Row[] } {
  const s = j.shape;
  const rows: Row[] = [
    { metric: `full fine-tuning step (${s.layers}×${s.hiddenSize}, ${s.batch}×${s.seq})`, value: `${f(j.stepMs.full, 1)} ms` },
    { metric: 'LoRA step (r 8, all projections), plain CE', value: `${f(j.stepMs.loraPlain, 1)} ms = ${f(j.loraOverFull, 2)}× full` },
    { metric: 'LoRA eyemulator step (weighted CE + γ·L_pref with reference pass)', value: `${f(j.stepMs.loraEyemulator, 1)} ms` },
    ...(j.weightedOverPlain !== undefined
      ? [
          { metric: 'LoRA weighted-CE step (γ 0) / plain CE step (the ≤ 1.03× target is judged in the engine table)', value: `${f(j.weightedOverPlain, 3)}×` },
          { metric: 'reference pass (eyemulator − weighted-CE step, per round)', value: `${f(j.referencePassMs, 1)} ms = ${f(j.referenceOverPlain, 2)}× a plain step` },
        ]
      : []),
    { metric: `eyemulator step / plain CE step${j.rounds ? ` (median of ${j.rounds} round ratios)` : ''}`, value: `${f(j.eyemulatorOverPlain, 2)}×`, target: '≤ 1.3×', status: judge(num(j.eyemulatorOverPlain) === undefined ? undefined : j.eyemulatorOverPlain <= 1.3) },
    { metric: `generation, ${j.generation.prompts} prompts × ${j.generation.newTokens} new tokens, KV cache`, value: `${f(j.generation.tokPerSCache, 1)} tok/s` },
    { metric: 'generation without KV cache', value: `${f(j.generation.tokPerSNoCache, 1)} tok/s` },
    { metric: 'KV cache speed-up', value: `${f(j.generation.speedup, 2)}×`, target: '≥ 5×', status: judge(num(j.generation.speedup) === undefined ? undefined : j.generation.speedup >= 5) },
    { metric: 'forward, attention capture off / on (all layers)', value: `${f(j.attentionCapture.offMs, 1)} / ${f(j.attentionCapture.onMs, 1)} ms (${f(j.attentionCapture.ratio, 2)}×)` },
  ];
  return { title: 'Method costs (LoRA, preference term, generation, attention capture)', rows };
}

/** bench/hf-peer.bench.ts: engine vs HF transformers (+PEFT), per size × mode, with issue 14's targets. */
export function hfPeerTable(j: any): { title: string; rows: Row[] } {
  const rows: Row[] = [];
  const target: Record<string, number> = { demo: 1.5, '4x512': 1.2 };
  for (const r of j.results ?? []) {
    const sh = r.shape;
    const label = `${r.size} (${sh.layers}×${sh.hiddenSize}, V ${sh.vocabSize}, ${sh.batch}×${sh.seq}) ${r.mode === 'lora' ? 'LoRA r16' : 'full FT'}`;
    rows.push({ metric: `${label}: engine`, value: `${f(r.engine.stepMsMedian, 1)} ms = ${f(r.engine.tokensPerS)} tok/s` });
    if (r.peer?.stepMsMedian !== undefined) {
      rows.push({ metric: `${label}: ${r.peer.name} ${r.peer.transformers}${r.peer.peft && r.mode === 'lora' ? ` / peft ${r.peer.peft}` : ''}`, value: `${f(r.peer.stepMsMedian, 1)} ms = ${f(r.peer.tokensPerS)} tok/s` });
      const sp = num(r.speedup);
      const t = target[r.size] ?? 1;
      rows.push({ metric: `${label}: speed-up over HF (median of ${r.roundSpeedups.length} round ratios)`, value: `${f(sp, 2)}×`, target: `≥ ${t}×`, status: judge(sp === undefined ? undefined : sp >= t) });
    } else {
      rows.push({ metric: `${label}: speed-up over HF`, value: `n/a: ${r.peer?.unavailable ?? 'no peer'}`, target: `≥ ${target[r.size] ?? 1}×`, status: 'n/a' });
    }
  }
  return { title: `Engine vs HF transformers + PEFT (torch ${j.engineTorch}, ${j.threads} threads, ${j.rounds} alternating rounds; ${j.cpu}, load ${f(j.loadAverage1m?.before, 2)} → ${f(j.loadAverage1m?.after, 2)})`, rows };
}
